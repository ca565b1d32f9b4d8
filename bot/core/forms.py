"""Form answers checked field by field, before the form closes, the same on every platform.

An answer is cleaned, held to its field's length or choices, then to the field's own `check`
(which sees the context, the command's options and the answers before it). Every refusal is a
`FieldRefused` naming the field, so an adapter can ask that field again and keep the rest:
Telegram and the console as soon as the answer arrives, Discord when the modal is submitted.
A refusal after the form (the handler's, once the answers are in) names a field too when it
can; `resume_at` says which question to ask again.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.commands import Arguments, Context, FieldKind, Form, FormField, FormInput
from bot.core.errors import FieldRefused, UserError
from bot.core.options import clean_text
from bot.core.richtext import msg


def clean_answer(form_field: FormField, raw: str) -> str:
    """One answer cleaned and held to its field's kind and length (not its own `check`)."""
    try:
        return _cleaned(form_field, raw)
    except UserError as error:
        raise FieldRefused(error.message, form_field.name) from error


def check_field(form_field: FormField, raw: str, around: FormInput) -> str:
    """One answer cleaned and checked, its field's own `check` included."""
    text = clean_answer(form_field, raw)
    if form_field.check is None:
        return text
    try:
        form_field.check(text, around)
    except UserError as error:
        # Whatever the check found (even about an option), this answer is what can change.
        raise FieldRefused(error.message, form_field.name) from error
    return text


def check_answers(
    form: Form, answers: Mapping[str, str], context: Context, options: Mapping[str, object]
) -> dict[str, str]:
    """Every answer of `form`, cleaned and checked in the form's order; the first refusal
    raises. Each field's check sees the options and the answers before it."""
    values: dict[str, object] = dict(options)
    checked: dict[str, str] = {}
    for form_field in form.fields:
        around = FormInput(context, Arguments(values, context.actor))
        text = check_field(form_field, answers.get(form_field.name, ""), around)
        values[form_field.name] = checked[form_field.name] = text
    return checked


def resume_at(form: Form, field: str | None) -> int:
    """Which question to ask again after a refusal: the field it names, else the last one
    (answering it again submits the form again, every other answer kept)."""
    for index, form_field in enumerate(form.fields):
        if form_field.name == field:
            return index
    return len(form.fields) - 1


def _cleaned(form_field: FormField, raw: str) -> str:
    text = clean_text(raw, multiline=form_field.kind is FieldKind.LONG)
    if form_field.kind is FieldKind.CHOICE:
        allowed = [value for value, _label in form_field.choices]
        if text.lower() not in allowed:
            raise UserError(
                msg("form.bad_choice", field=form_field.label, choices=", ".join(allowed))
            )
        return text.lower()
    if not text:
        if form_field.required:
            raise UserError(msg("form.required", field=form_field.label))
        return ""
    if len(text) < form_field.min_length:
        raise UserError(msg("form.too_short", field=form_field.label, min=form_field.min_length))
    if len(text) > form_field.max_length:
        raise UserError(msg("form.too_long", field=form_field.label, max=form_field.max_length))
    return text
