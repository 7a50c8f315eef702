"""matcalc.verify and matcalc.check: verdicts and comparisons as values."""

import matcalc

SEED = "W: matrix(m, n); x: vector(n); 1/2 * norm2(W^T W x - x)"
SEED_GRADIENT = "t1 = (W^T W x - x) x^T; W (t1 + t1^T)"


def test_the_seed_hand_answer_is_correct():
    v = matcalc.verify(SEED, "W", "W (W^T W x - x) x^T + (W x) (W^T W x - x)^T")
    assert v and v.correct
    assert v.kind in ("same form", "agrees")
    assert v.reason.startswith("correct")
    assert v.answer == SEED_GRADIENT
    assert str(v).endswith("matcalc's answer: " + SEED_GRADIENT)
    assert "correct" in repr(v)
    assert v._repr_markdown_().startswith("**correct")


def test_numeric_agreement_says_how_many_points():
    # Written unfactored, the claim is not matcalc's form: decided numerically.
    v = matcalc.verify("x^T A x", "x", "A x + A^T x")
    assert v.kind == "agrees"
    assert "at 12 random points" in v.reason


def test_one_path_of_two_is_wrong():
    v = matcalc.verify(SEED, "W", "W (W^T W x - x) x^T")
    assert not v and not v.correct
    assert v.kind == "differs"
    assert v.reason.startswith("wrong: at a random point")
    assert "claim:" in v.reason and "derivative:" in v.reason


def test_a_claim_of_another_shape_is_wrong():
    v = matcalc.verify(SEED, "W", "x")
    assert v.kind == "wrong shape" and not v
    assert v.reason == "wrong: the claim has shape n×1, but the derivative has shape m×n"


def test_a_claim_undefined_nearly_everywhere_is_undecided_or_wrong():
    v = matcalc.verify("sum(log(x))", "x", "1 ./ x")
    assert v.correct
    v = matcalc.verify("x: vector(n); sum(sqrt(x))", "x", "0")
    assert not v.correct


def test_verify_of_a_definition():
    v = matcalc.verify("z = W x; L = sum(exp(z)); L", "x", "W", of="z")
    assert v.correct and v.answer == "W"


def test_check_compares_with_finite_differences():
    c = matcalc.check("sum(log(sigmoid(W x)))", "W")
    assert c and c.passed
    assert c.derivative == "(1 - sigmoid(W x)) x^T"
    assert c.points == 5
    assert 0 <= c.relative_error <= c.raw_error < 1e-6
    assert c.skipped == (0, 0, 0)
    assert c.report.splitlines()[0] == "derivative: (1 - sigmoid(W x)) x^T"
    assert c.report.splitlines()[-1] == "ok"
    assert "passed" in repr(c)
    c = matcalc.check("sum(log(sigmoid(W x)))", "W", points=3, seed=9)
    assert c.points == 3


def test_check_counts_points_skipped_at_kinks():
    c = matcalc.check("sum(abs(x))", "x", points=4)
    assert c.passed and c.points == 4
    assert len(c.skipped) == 3
