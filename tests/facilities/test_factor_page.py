"""The platform admin's factor list in Chinese: regions by name, variants in words, in pages
(it was one 15,800-pixel table with codes such as 330000 and national_average)."""

from __future__ import annotations


def test_the_factor_list_names_regions_and_variants_in_pages(login_as):
    admin = login_as("admin@platform.demo")
    html = admin.get("/emission-factors?lang=zh").get_data(as_text=True)
    table = html.split('data-testid="factors"', 1)[1].split("</table>", 1)[0]
    assert "national_average" not in table and "carbon_market" not in table
    assert "全国电网平均排放因子" in table
    assert 'data-testid="list-count"' in html
    rows = table.count("<tr>") - 1  # less the header
    assert 0 < rows <= 200
    assert ">330000<" not in table
    if 'data-testid="pager"' in html:
        second = admin.get("/emission-factors?lang=zh&page=2").get_data(as_text=True)
        assert (
            second.split('data-testid="factors"', 1)[1] != html.split('data-testid="factors"', 1)[1]
        )
