"""The report's HTML view of a results table: every cell as the CSV wrote it, escaped, numbers right-aligned."""

from __future__ import annotations

import re

import pandas as pd

from synface.figures.table_view import headline_html, write_table_view
from synface.layout import table_view_path


def test_table_view_shows_each_cell_as_written(tmp_path):
    csv = tmp_path / "tables" / "width_depth.csv"
    csv.parent.mkdir()
    csv.write_text("train,im,accuracy,note\nSyn_1K_50,False,80.10,a<b & c\nSyn_10K_50,True,91.00,\n")
    out = tmp_path / "view.html"
    write_table_view(csv, out)
    page = out.read_text()
    assert "<title>width_depth.csv</title>" in page
    cells = re.findall(r"<td( class=\"num\")?>(.*?)</td>", page)
    assert cells == [
        ("", "Syn_1K_50"),
        ("", "False"),
        (' class="num"', "80.10"),  # the CSV's rounding, not a re-formatted float
        ("", "a&lt;b &amp; c"),
        ("", "Syn_10K_50"),
        ("", "True"),
        (' class="num"', "91.00"),
        ("", ""),
    ]
    assert re.findall(r"<th>(.*?)</th>", page) == ["train", "im", "accuracy", "note"]
    assert not list(tmp_path.glob(".*tmp*"))  # written atomically, nothing left beside it


def test_long_text_wraps_after_the_short_columns(tmp_path):
    csv = tmp_path / "claims.csv"
    csv.write_text(f"claim,statement,evidence,verdict\n1,{'word ' * 20},{'number ' * 20},supported\n")
    write_table_view(csv, tmp_path / "claims.html")
    page = (tmp_path / "claims.html").read_text()
    assert re.findall(r"<th>(.*?)</th>", page) == ["claim", "statement", "verdict", "evidence"]  # the verdict in view
    assert re.findall(r"<td( class=\"\w+\")?>", page) == [' class="num"', ' class="prose"', "", ' class="prose"']


def test_table_view_path_mirrors_the_results_folder():
    assert table_view_path("results/tables/claims.csv") == "results/report/tables/claims.html"
    assert table_view_path("results/tuning/embedded.csv") == "results/report/tuning/embedded.html"


def test_headline_puts_each_verdict_beside_its_claim_and_embeds_the_figure():
    claims = pd.DataFrame(
        {
            "claim": ["1", "2"],
            "statement": ["a gap <large>", "IM helps"],
            "evidence": ["x" * 500] * 2,
            "verdict": ["supported", "contradicted"],
        }
    )
    page = headline_html(claims, b"\x89PNG fake")
    assert "<tr><td>1</td><td><b>supported</b></td><td>a gap &lt;large&gt;</td></tr>" in page
    assert "<td>2</td><td><b>contradicted</b></td>" in page
    assert "x" * 500 not in page  # the evidence stays in the claims table, not on the start page
    assert 'src="data:image/png;base64,iVBORyBmYWtl"' in page  # embedded: the report is one file
