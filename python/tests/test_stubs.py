"""The type stubs name exactly what the module has."""

import ast
import collections.abc
import types
from pathlib import Path

import matcalc

STUBS = Path(__file__).resolve().parents[1] / "matcalc.pyi"


def stub_tree():
    return ast.parse(STUBS.read_text(encoding="utf-8"))


def test_the_installed_package_carries_the_stubs():
    installed = Path(matcalc.__file__).parent
    assert (installed / "py.typed").exists()
    assert (installed / "__init__.pyi").read_text(encoding="utf-8") == STUBS.read_text(encoding="utf-8")


def test_every_public_name_has_a_stub_and_every_stub_a_name():
    tree = stub_tree()
    stubbed = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    stubbed |= {node.target.id for node in tree.body if isinstance(node, ast.AnnAssign)}
    aliases = {t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets}
    public = {
        name for name in dir(matcalc)
        if not name.startswith("_") and not isinstance(getattr(matcalc, name), types.ModuleType)
    } | {"__version__"}
    assert stubbed == public
    assert aliases == {"StepsFormat", "Library"}


def test_every_stubbed_member_exists():
    for node in stub_tree().body:
        if not isinstance(node, ast.ClassDef):
            continue
        cls = getattr(matcalc, node.name)
        for member in node.body:
            if isinstance(member, ast.FunctionDef) and member.name != "__init__":
                assert hasattr(cls, member.name), f"{node.name}.{member.name}"
            if isinstance(member, ast.AnnAssign):  # exception attributes
                e = None
                try:
                    matcalc.simplify("W x +")
                except matcalc.MatcalcError as caught:
                    e = caught
                assert hasattr(e, member.target.id), f"{node.name}.{member.target.id}"


def test_derivatives_is_a_sequence():
    d = matcalc.diff("sum(W x + b)", ["W", "b"])
    assert isinstance(d, collections.abc.Sequence)
    assert [r.wrt for r in reversed(d)] == ["b", "W"]
