"""The table's rows, written in Python for speed: the same markup the template had, escaped."""

from __future__ import annotations

from django.template import engines

from tokenui import risk
from tokenui.kernel.display import Expiry, TokenRow
from tokenui.whm.types import TokenSummary

TAG = "{% load token_rows %}{% token_rows rows highlight=highlight edit_query=edit_query %}"


def _row(name: str = "ci-deploy", **fields: object) -> TokenRow:
    values: dict[str, object] = {
        "token": TokenSummary(name, 1_700_000_000, None, ()),
        "created": "11 14 2023 22:13:20",
        "created_iso": "2023-11-14T22:13:20+00:00",
        "expires": "",
        "expires_iso": "",
        "expiry": Expiry.NEVER,
        "expiry_words": "",
        "ips_shown": (),
        "ips_folded": (),
        "is_session_token": False,
        "edit_url": f"/tokens/{name}/edit/",
        "revoke_url": f"/tokens/{name}/revoke/",
    }
    return TokenRow(**(values | fields))  # type: ignore[arg-type]


def _render(*rows: TokenRow, highlight: str = "", edit_query: str = "") -> str:
    context = {"rows": rows, "highlight": highlight, "edit_query": edit_query}
    return engines["django"].from_string(TAG).render(context)


def test_a_plain_row_has_every_cell_as_the_table_draws_it() -> None:
    html = _render(_row())

    assert html == (
        '<tr id="token-ci-deploy">'
        '<td class="col-select"><input type="checkbox" name="name" value="ci-deploy" '
        'aria-label="Select ci-deploy"></td>'
        '<th scope="row">ci-deploy</th>'
        '<td><time datetime="2023-11-14T22:13:20Z">11 14 2023 22:13:20</time></td>'
        "<td>Never</td>"
        '<td class="ips">Any</td>'
        '<td class="risk"></td>'
        '<td class="col-actions"><a href="/tokens/ci-deploy/edit/" aria-label="Edit ci-deploy">'
        'Edit</a> <a href="/tokens/ci-deploy/rotate/" aria-label="Rotate ci-deploy">Rotate</a> '
        '<a href="/tokens/new/?like=ci-deploy" '
        'aria-label="Generate a token like this: ci-deploy">Generate a token like this</a> '
        '<a href="/tokens/ci-deploy/revoke/" aria-label="Revoke ci-deploy">Revoke</a></td></tr>'
    )


def test_a_row_shows_its_highlight_badge_expiry_notice_and_folded_ips() -> None:
    row = _row(
        "soon",
        expires="11 20 2023 00:00:00",
        expires_iso="2023-11-20T00:00:00+00:00",
        expiry=Expiry.SOON,
        expiry_words="Expires in 3 days",
        ips_shown=("192.0.2.1", "192.0.2.2", "192.0.2.3"),
        ips_folded=("192.0.2.4", "2001:db8::/32"),
        is_session_token=True,
    )

    html = _render(row, _row("other"), highlight="soon", edit_query="?q=so")

    assert '<tr id="token-soon" class="row-soon row-highlight">' in html
    assert '<tr id="token-other">' in html  # no class: a plain row is drawn as the table's
    assert 'soon <span class="badge">this session\'s token</span></th>' in html
    assert (
        '<td><time datetime="2023-11-20T00:00:00Z">11 20 2023 00:00:00</time> '
        '<span class="notice">Expires in 3 days</span></td>'
    ) in html
    assert (
        '<td class="ips">192.0.2.1, 192.0.2.2, 192.0.2.3 <details class="more-ips">'
        "<summary>and 2 more</summary>192.0.2.4, 2001:db8::/32</details></td>"
    ) in html
    assert 'href="/tokens/soon/edit/?q=so"' in html


def test_every_value_in_a_row_is_escaped() -> None:
    evil = '<script>"x"&'
    row = _row(
        evil,
        expires=evil,
        expires_iso=evil,
        expiry=Expiry.SOON,
        expiry_words=evil,
        ips_shown=(evil,),
        ips_folded=(evil,),
        edit_url=evil,
        revoke_url=evil,
    )

    html = _render(row, highlight=evil, edit_query=evil)

    assert "<script>" not in html
    assert '"x"' not in html
    # 16: the name is also in Rotate's and Generate a token like this's labels (their URLs
    # quote it).
    assert html.count("&lt;script&gt;&quot;x&quot;&amp;") == 16
    assert "like=%3Cscript%3E%22x%22%26" in html


def test_a_row_shows_each_flag_in_words_without_a_tab_stop() -> None:
    html = _render(_row(flags=(risk.FULL_ACCESS_FLAG, risk.NO_EXPIRY_FLAG)))

    # Words (the icon is the .flag class's, in CSS), read in their cell, not a tab stop each;
    # the explanation is the legend's, written once a page, never into a row.
    assert (
        '<td class="risk"><span class="flag">Full access</span> '
        '<span class="flag">No expiry</span></td>'
    ) in html
    assert risk.FULL_ACCESS_FLAG.explanation not in html


def test_a_rotated_row_links_to_its_rotations_next_steps_escaped() -> None:
    tag = (
        "{% load token_rows %}"
        "{% token_rows rows highlight='' edit_query='' "
        "successors=successors finish_url='/tokens/tokenui-row-name/rotate/finish/' %}"
    )
    context = {"rows": [_row("old"), _row("new")], "successors": {"old": 'new"<'}}
    html = engines["django"].from_string(tag).render(context)

    assert (
        '<th scope="row">old <a class="badge badge-rotated" '
        'href="/tokens/old/rotate/finish/?successor=new%22%3C">rotated, not yet revoked'
    ) in html
    assert "→</span> new&quot;&lt;</a>" in html
    assert html.count("rotated, not yet revoked") == 1
