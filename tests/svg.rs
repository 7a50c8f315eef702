//! The SVG drawing of the computational graph: well-formed, the same nodes
//! and edges as the `dot` drawing, the variable marked, everything inside
//! the picture, and deterministic.

const SEED: &str = "W: matrix(m, n); x: vector(n); L = 1/2 * norm2(W^T W x - x)";
const SWISH: &str = "ell: function; W1: matrix(p, n); b1: vector(p); W2: matrix(q, p); b2: vector(q); x: vector(n); \
                     z = W1 x + b1; h1 = swish(z); z2 = W2 h1 + b2; L = ell(z2)";

fn svg(program: &str, wrt: &str) -> String {
    matcalc::analyze(program).unwrap().svg(None, Some(wrt)).unwrap()
}

fn dot(program: &str, wrt: &str) -> String {
    matcalc::analyze(program).unwrap().dot(None, Some(wrt)).unwrap()
}

/// The element names of `svg`, checked to nest properly (every opened tag
/// closed in order), and no `<` or `&` in text outside a tag or an entity.
fn elements(svg: &str) -> Vec<String> {
    let mut open: Vec<String> = Vec::new();
    let mut all = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        let text = &rest[..start];
        for (i, _) in text.match_indices('&') {
            let entity = &text[i..];
            assert!(["&amp;", "&lt;", "&gt;", "&quot;"].iter().any(|e| entity.starts_with(e)), "raw & in text: {text}");
        }
        let end = rest[start..].find('>').expect("an unclosed tag") + start;
        let tag = &rest[start + 1..end];
        assert!(!tag.contains('<'), "a `<` inside a tag: {tag}");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(open.pop().as_deref(), Some(name), "closing tag out of order");
        } else {
            let name: String = tag.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
            all.push(name.clone());
            if !tag.ends_with('/') {
                open.push(name);
            }
        }
        rest = &rest[end + 1..];
    }
    assert!(open.is_empty(), "unclosed elements: {open:?}");
    all
}

/// The numbers of attribute `name` (`x="…"`) in `svg`.
fn attribute_values(svg: &str, name: &str) -> Vec<f64> {
    let key = format!(" {name}=\"");
    svg.match_indices(&key)
        .map(|(i, _)| {
            let value = &svg[i + key.len()..];
            value[..value.find('"').unwrap()].parse::<f64>().unwrap()
        })
        .collect()
}

fn view_box(svg: &str) -> (f64, f64) {
    let start = svg.find("viewBox=\"0 0 ").unwrap() + "viewBox=\"0 0 ".len();
    let numbers: Vec<f64> = svg[start..].split('"').next().unwrap().split(' ').map(|v| v.parse().unwrap()).collect();
    (numbers[0], numbers[1])
}

#[test]
fn the_seed_graph_has_the_dot_drawings_nodes_and_edges_with_w_marked() {
    let picture = svg(SEED, "W");
    let names = elements(&picture);
    let dot = dot(SEED, "W");
    let dot_nodes = dot.lines().filter(|l| l.contains("[label=")).count();
    let dot_edges = dot.lines().filter(|l| l.contains(" -> ")).count();
    assert_eq!(picture.matches("<g class=\"node ").count(), dot_nodes);
    assert_eq!(names.iter().filter(|n| *n == "polyline").count(), dot_edges);
    assert_eq!(picture.matches("class=\"node parameter\"").count(), 1);
    assert!(picture.contains("<g class=\"node parameter\"><title>variable W</title>"), "{picture}");
    assert!(picture.contains("<g class=\"node input\"><title>input x</title>"), "{picture}");
    assert_eq!(picture.matches("class=\"node loss\"").count(), 1);
    assert!(picture.contains("operation (·)ᵀ: Wᵀ"), "{picture}");
    assert!(picture.contains(">½ ‖Wᵀ W x − x‖²</text>") || picture.contains("‖Wᵀ W x − x‖²"), "{picture}");
}

#[test]
fn every_coordinate_lies_inside_the_picture() {
    for (program, wrt) in [(SEED, "W"), (SWISH, "W1"), (SWISH, "b2")] {
        let picture = svg(program, wrt);
        elements(&picture);
        let (width, height) = view_box(&picture);
        for x in attribute_values(&picture, "x") {
            assert!((0.0..=width).contains(&x), "x = {x} outside 0..{width}");
        }
        for y in attribute_values(&picture, "y") {
            assert!((0.0..=height).contains(&y), "y = {y} outside 0..{height}");
        }
        for (i, _) in picture.match_indices("points=\"") {
            let points = &picture[i + 8..];
            for pair in points[..points.find('"').unwrap()].split(' ') {
                let (x, y) = pair.split_once(',').unwrap();
                let (x, y): (f64, f64) = (x.parse().unwrap(), y.parse().unwrap());
                assert!((0.0..=width).contains(&x) && (0.0..=height).contains(&y), "point {pair} outside");
            }
        }
    }
}

#[test]
fn a_box_is_as_wide_as_its_label_needs_and_boxes_in_a_row_do_not_overlap() {
    let picture = svg(SWISH, "W1");
    // (x, y, width) of every box outline that is not the loss's outer frame.
    let mut boxes: Vec<(f64, f64, f64)> = Vec::new();
    for (i, _) in picture.match_indices("<rect ") {
        let tag = &picture[i..i + picture[i..].find("/>").unwrap()];
        let get = |name: &str| attribute_values(&format!("{tag}\""), name)[0];
        if tag.contains("fill=\"none\"") {
            continue;
        }
        boxes.push((get("x"), get("y"), get("width")));
    }
    assert!(boxes.len() > 8, "{picture}");
    for (a, first) in boxes.iter().enumerate() {
        for second in &boxes[a + 1..] {
            if (first.1 - second.1).abs() < 1.0 {
                let apart = first.0 + first.2 <= second.0 || second.0 + second.2 <= first.0;
                assert!(apart, "boxes overlap: {first:?} {second:?}");
            }
        }
    }
}

#[test]
fn the_picture_does_not_depend_on_how_the_program_was_built() {
    assert_eq!(svg(SWISH, "W1"), svg(SWISH, "W1"));
    let mut analysis = matcalc::analyze(SWISH).unwrap();
    analysis.derivative(None, "W1").unwrap();
    assert_eq!(analysis.svg(None, Some("W1")).unwrap(), svg(SWISH, "W1"));
}

#[test]
fn a_deep_nets_far_operands_are_drawn_again_dashed() {
    let mut program = String::from("x: vector(n); y: vector(n); h0 = x");
    for i in 1..=10 {
        program.push_str(&format!("; W{i}: matrix(n, n); h{i} = h{} + tanh(W{i} h{})", i - 1, i - 1));
    }
    program.push_str("; L = 1/2 * norm2(h10 - y)");
    let picture = svg(&program, "x");
    elements(&picture);
    assert!(picture.contains("class=\"node reference"), "{picture}");
    assert!(picture.contains("stroke-dasharray"), "{picture}");
}

#[test]
fn without_a_variable_nothing_is_marked_and_an_unknown_one_is_an_error() {
    let picture = matcalc::analyze(SEED).unwrap().svg(None, None).unwrap();
    assert!(!picture.contains("parameter"));
    let err = matcalc::analyze(SEED).unwrap().svg(None, Some("q")).unwrap_err();
    assert_eq!(err.message, "the program has no variable `q`");
}
