#!/bin/sh
# Regenerate the pictures in docs/images/ from the matcalc binary.
#
# These pictures are made once, by hand, and committed; CI does not run this
# script and does not need TeX or Graphviz. Needs (Debian/Ubuntu):
#
#   apt-get install -y --no-install-recommends \
#     texlive-latex-base texlive-latex-recommended texlive-pictures \
#     preview-latex-style graphviz poppler-utils
#
# (pdflatex with amsmath, TikZ and the preview package, which crops each page
# to its content: 200 KB, where the standalone class would pull in the 80 MB
# texlive-latex-extra; Graphviz dot; pdftoppm.)
#
# Usage, from the repository root after `cargo build --release`:
#
#   sh docs/images/render.sh            # uses target/release/matcalc
#   MATCALC=/path/to/matcalc sh docs/images/render.sh
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
matcalc=${MATCALC:-$root/target/release/matcalc}
dpi=150
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The seed homework's two programs (problem 1 and problem 3).
AE='W: matrix(m, n); x: vector(n); L = 1/2 * norm2(W^T W x - x)'
SW='ell: function; W1: matrix(p, n); b1: vector(p); W2: matrix(q, p); b2: vector(q); x: vector(n); z = W1 x + b1; h1 = swish(z); z2 = W2 h1 + b2; L = ell(z2)'

preamble() {
  printf '%s\n' '\documentclass{article}' '\usepackage{amsmath}' '\usepackage{tikz}' \
    '\usepackage[active,tightpage]{preview}' '\setlength\PreviewBorder{8pt}' \
    '\pagestyle{empty}' '\begin{document}'
}

# math NAME: typeset the math on standard input with pdflatex: one line
# (`\nabla_{..} L = ...`) or a multi-line `\begin{aligned} ... \end{aligned}`
# block (--steps, a result with a `where` line). It is set in display style in
# an \hbox, which the preview package crops to the formula's own width (a
# \[ \] display would be as wide as the page); aligned is an inner amsmath
# environment, valid in any math mode, so both forms typeset alike.
math() {
  {
    preamble
    printf '%s\n' '\begin{preview}\hbox{$\displaystyle'
    cat
    printf '%s\n' '$}\end{preview}' '\end{document}'
  } > "$tmp/$1.tex"
  pdf "$1"
}

# tikz NAME: compile the tikzpicture on standard input with pdflatex.
tikz() {
  {
    preamble
    printf '%s\n' '\begin{preview}\hbox{%'
    cat
    printf '\n%s\n' '}\end{preview}' '\end{document}'
  } > "$tmp/$1.tex"
  pdf "$1"
}

pdf() {
  (cd "$tmp" && pdflatex -interaction=nonstopmode -halt-on-error "$1.tex" > "$1.out") ||
    { cat "$tmp/$1.out" >&2; exit 1; }
  pdftoppm -png -r "$dpi" -singlefile "$tmp/$1.pdf" "$here/$1"
}

# graph NAME: lay out the Graphviz graph on standard input with dot.
graph() {
  dot -Tpng -Gdpi=96 -o "$here/$1.png"
}

# equations EQ...: several results of `matcalc diff --format latex` in one
# aligned block, aligned at their `=`. A one-line result (`\nabla_{..} L =
# ...`) gets its first `=` marked `&=`; a result that is itself an aligned
# block (one with `where` lines) already has its `&=` marks and row breaks,
# so its rows are taken as they are, without its \begin/\end lines.
equations() {
  printf '%s\n' '\begin{aligned}'
  first=1
  for eq in "$@"; do
    [ $first = 1 ] || printf '%s\n' '\\'
    first=0
    case $eq in
      '\begin{aligned}'*) printf '%s\n' "$eq" | sed '1d;$d' ;;
      *) printf '%s\n' "$eq" | sed 's/ = / \&= /' ;;
    esac
  done
  printf '%s\n' '\end{aligned}'
}

# Problem 1: the autoencoder.
"$matcalc" diff "$AE" --wrt W --format dot | graph ae_graph
"$matcalc" diff "$AE" --wrt W --format tikz | tikz ae_graph_tikz
"$matcalc" diff "$AE" --wrt W --steps --format latex | math ae_steps
"$matcalc" diff "$AE" --wrt W --format latex | math ae_grad

# Problem 3: the two-layer net with swish.
"$matcalc" diff "$SW" --wrt W1 --format dot | graph swish_graph
"$matcalc" diff "$SW" --wrt W1 --format tikz | tikz swish_graph_tikz
"$matcalc" diff "$SW" --wrt W2 --steps --format latex | math swish_steps_W2
"$matcalc" diff "$SW" --wrt W1 --steps --format latex --width 60 | math swish_steps_W1
equations "$("$matcalc" diff "$SW" --wrt W2 --format latex)" \
  "$("$matcalc" diff "$SW" --wrt b2 --format latex)" | math swish_grads_2
equations "$("$matcalc" diff "$SW" --wrt W1 --format latex)" \
  "$("$matcalc" diff "$SW" --wrt b1 --format latex)" | math swish_grads_1

ls -l "$here"/*.png
