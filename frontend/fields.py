"""Form fields shared by the frontend's forms."""

from django import forms


class ModelChoiceField(forms.ModelChoiceField):
    """Django's field, but an id too large for the database (SQLite stops at 2**63 - 1 and
    raises OverflowError) is refused as the unknown choice it is, in French, not a 500."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except OverflowError:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            ) from None


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """The same for several ids: one too large is refused like any unknown one."""

    def _check_values(self, value):
        try:
            return super()._check_values(value)
        except OverflowError:
            too_large = next(
                (v for v in value if str(v).strip().isdigit() and int(v) >= 2**63), value
            )
            raise forms.ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": too_large},
            ) from None
