"""Form pieces shared by every domain: text that refuses broken or invisible characters."""

import unicodedata

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError


def clean_text(form, field) -> None:
    """Refuse undecodable bytes (shown as U+FFFD) and control characters other than newlines."""
    value = field.data or ""
    if "\ufffd" in value:
        raise ValidationError(_l("内容包含无法识别的字符，请检查后重新输入。"))
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\r\t" for ch in value):
        raise ValidationError(_l("内容包含无效的控制字符。"))
