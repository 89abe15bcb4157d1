"""Form inputs are written with the app's html_params (web/fields.py), which WTForms' widgets use
in place of their own: for any attributes, whatever their names and values (quotes, markup,
numbers, switches on and off), the HTML is exactly the one WTForms writes."""
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from intake.web.fields import WTFORMS_HTML_PARAMS, html_params

NAMES = st.sampled_from(["id", "name", "value", "class_", "for_", "data_hx_post",
                         "aria_described_by", "required", "maxlength", "x_", "a<b"])
VALUES = st.one_of(st.booleans(), st.none(), st.integers(), st.text(),
                   st.text().map(Markup), st.sampled_from(['a "quoted" word', Markup('<b>"')]))


@given(st.dictionaries(NAMES, VALUES, max_size=6))
def test_any_attributes_are_written_to_the_byte_as_wtforms_writes_them(attributes):
    ours, theirs = html_params(**attributes), WTFORMS_HTML_PARAMS(**attributes)
    assert ours == theirs
    assert isinstance(ours, Markup)

