"""examples/seed.ipynb, the seed's two problems, runs in a Jupyter kernel and
shows the seed's gradient as rendered LaTeX."""

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "examples" / "seed.ipynb"
# The gradient names its repeated part: t1 = (W^T W x - x) x^T.
SEED_LATEX = (
    r"\begin{aligned}"
    "\n"
    r"\nabla_{\mathbf{W}} L &= \mathbf{W} (\mathbf{t}_1 + \mathbf{t}_1^\top) \\"
    "\n"
    r"\text{where } \mathbf{t}_1 &= (\mathbf{W}^\top \mathbf{W} \mathbf{x} - \mathbf{x}) \mathbf{x}^\top"
    "\n"
    r"\end{aligned}"
)
SECOND_LAYER = r"\nabla_{\mathbf{W}_2} L &= \frac{\partial L}{\partial \mathbf{z}_2} \mathbf{h}_1^\top"


def outputs(notebook, mime):
    return [
        output["data"][mime]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if mime in output.get("data", {})
    ]


def test_the_seed_notebook_runs_and_renders_the_gradient():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert not outputs(notebook, "text/latex"), "the notebook is kept without outputs"
    NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    latex = outputs(notebook, "text/latex")
    assert f"$${SEED_LATEX}$$" in latex
    assert any(SECOND_LAYER in shown for shown in latex)
    assert any(r"\nabla_{\mathbf{b}_1} L &= " in shown for shown in latex)
    markdown = outputs(notebook, "text/markdown")
    assert any(SEED_LATEX in shown for shown in markdown)
    printed = "".join(
        output.get("text", "") for cell in notebook.cells for output in cell.get("outputs", []) if output.get("name") == "stdout"
    )
    assert "∂L/∂W = ∂L/∂(W x) xᵀ + (∂L/∂(Wᵀ))ᵀ = W ((Wᵀ W x − x) xᵀ + x (Wᵀ W x − x)ᵀ)" in printed
    assert printed.count("correct: ") == 5
    assert "wrong: at a random point" in printed
    errors = [o for cell in notebook.cells for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
