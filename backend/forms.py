"""Forms for accounts, administration and alerts (Flask-WTF: every form carries the CSRF token)."""

from __future__ import annotations

import re

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms import Form as PlainForm
from wtforms.meta import DefaultMeta
from wtforms.validators import (
    AnyOf,
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from backend.content.schema import STATEMENTS_EMAIL_PATTERN, normalise_phone
from backend.services import accounts, phones
from backend.services.accounts import EMAIL_RE
from backend.services.dates import MONTHS, month_and_year, named_month_and_year, norwegian_date

# Lazy: labels and messages are made at import time and read in the language of each request.
REQUIRED = _l("Dette feltet må fylles ut.")
# The same rule as Statements.email in the content schema, so the form never accepts what the plan refuses.
STATEMENT_EMAIL = re.compile(STATEMENTS_EMAIL_PATTERN)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def no_control_characters(_form, field) -> None:
    """Refuse NUL and other invisible control characters (tabs and line breaks are fine)."""
    if isinstance(field.data, str) and CONTROL.search(field.data):
        raise ValidationError(_("Teksten inneholder ugyldige tegn."))


def single_line(_form, field) -> None:
    """Refuse line breaks in a one-line field."""
    if isinstance(field.data, str) and ("\n" in field.data or "\r" in field.data):
        raise ValidationError(_("Skriv alt på én linje."))


def phone_number(_form, field) -> None:
    """Accept a Norwegian or international number, or a short number such as 02800."""
    try:
        field.data = normalise_phone(field.data or "")
    except ValueError as error:
        raise ValidationError(
            _("Skriv et gyldig telefonnummer, for eksempel 970 83 705 eller +46 8 123 456 78.")
        ) from error


def text_field(label: str, max_length: int = 300, required: bool = True, **kwargs) -> StringField:
    """A one-line text field with the checks every text field needs."""
    checks = [DataRequired(REQUIRED)] if required else [Optional()]
    checks += [
        Length(max=max_length, message=_l("Høyst %(max)d tegn.")),
        no_control_characters,
        single_line,
    ]
    return StringField(label, checks, filters=[lambda v: v.strip() if isinstance(v, str) else v], **kwargs)


def area_field(label: str, max_length: int = 20000, required: bool = True, **kwargs) -> TextAreaField:
    """A multi-line text field."""
    checks = [DataRequired(REQUIRED)] if required else [Optional()]
    checks += [Length(max=max_length, message=_l("Høyst %(max)d tegn.")), no_control_characters]
    return TextAreaField(label, checks, filters=[lambda v: v.strip() if isinstance(v, str) else v], **kwargs)


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes for one list of choices."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class Form(FlaskForm):
    """Base form: WTForms' own messages in English on English pages, else in bokmål (WTForms has no
    nynorsk; our own messages, which are almost all a person sees, are in the catalogues)."""

    class Meta:
        locales = ("nb_NO", "nb")

        def get_translations(self, form):
            self.locales = ("en",) if str(get_locale() or "") == "en" else ("nb_NO", "nb")
            return DefaultMeta.get_translations(self, form)


# --- Accounts ------------------------------------------------------------------------------------


class LoginForm(Form):
    email = StringField(_l("E-post"), [InputRequired(REQUIRED), Length(max=254, message=_l("For lang."))])
    password = PasswordField(
        _l("Passord"), [InputRequired(REQUIRED), Length(max=1024, message=_l("For langt."))]
    )
    remember = BooleanField(_l("Husk meg på denne telefonen"))


class CodeForm(Form):
    code = StringField(_l("Engangskode fra appen"), [Optional(), Length(max=20, message=_l("For lang."))])
    recovery = StringField(_l("Eller en reservekode"), [Optional(), Length(max=40, message=_l("For lang."))])


class ConfirmForm(Form):
    password = PasswordField(
        _l("Passord"), [InputRequired(REQUIRED), Length(max=1024, message=_l("For langt."))]
    )
    code = StringField(_l("Engangskode fra appen"), [Optional(), Length(max=20, message=_l("For lang."))])
    next = HiddenField()


class TotpSetupForm(Form):
    code = StringField(
        _l("Koden appen viser nå"), [InputRequired(REQUIRED), Length(max=20, message=_l("For lang."))]
    )


class NewPasswordForm(Form):
    password = PasswordField(_l("Nytt passord (minst 12 tegn)"), [InputRequired(REQUIRED)])
    repeat = PasswordField(
        _l("Gjenta passordet"), [InputRequired(REQUIRED), EqualTo("password", _l("Passordene er ikke like."))]
    )


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(_l("Nåværende passord"), [InputRequired(REQUIRED)])


# What each role can do, exactly; roles add up (a leader who also edits the plan has both).
ROLE_CHOICES = [
    SelectChoice("staff", _l("Ansatt – kan sende varsel til ledelsen fra akuttmodus. Får ikke varsel selv.")),
    SelectChoice(
        "leader",
        _l(
            "Leder – får varsel fra akuttmodus på telefonen og svarer «Jeg kommer», ser tidligere varsler "
            "og kan sende varsel."
        ),
    ),
    SelectChoice(
        "admin",
        _l(
            "Administrator – endrer planen, kontaktene, stedene og brukerne, og publiserer. "
            "Får ikke varsel uten rollen Leder."
        ),
    ),
]


class InviteForm(Form):
    name = text_field(_l("Navn"), 120)
    email = StringField(
        _l("E-post"),
        [
            DataRequired(REQUIRED),
            Length(max=254, message=_l("For lang.")),
            Regexp(EMAIL_RE, message=_l("Skriv en gyldig e-postadresse, for eksempel navn@skole.no.")),
            no_control_characters,
        ],
    )
    roles = MultiCheckboxField(_l("Roller"), choices=ROLE_CHOICES)

    def validate_roles(self, field) -> None:
        if not field.data:
            raise ValidationError(_("Velg minst én rolle."))


class BulkInviteForm(Form):
    people = area_field(_l("Én person per linje: navn, e-post, rolle"), 20000)


class RolesForm(Form):
    roles = MultiCheckboxField(_l("Roller"), choices=ROLE_CHOICES)

    def validate_roles(self, field) -> None:
        if not field.data:
            raise ValidationError(_("Velg minst én rolle."))


class ContactLinkForm(Form):
    # Choices (the plan's contacts, and "" for none) are set by the view from the current plan.
    contact = SelectField(_l("Person i kontaktlisten"), choices=[], validate_choice=True)


class EmptyForm(Form):
    """A form with only the CSRF token, for buttons that change something."""


# --- Administration -------------------------------------------------------------------------------


class ContactForm(Form):
    name = text_field(_l("Navn"), 120)
    role = text_field(_l("Rolle"), 120)
    phone = StringField(
        _l("Telefonnummer"), [DataRequired(REQUIRED), Length(max=40, message=_l("For langt.")), phone_number]
    )
    group = SelectField(_l("Gruppe"), choices=[], validate_choice=True)
    new_group = text_field(_l("Navn på ny gruppe"), 200, required=False)
    drug_responsible = BooleanField(_l("Spesielt ansvar for oppfølging av rusrelaterte saker"))
    call_chain = BooleanField(_l("Ringes i akutte saker"))
    base = HiddenField()

    def validate_new_group(self, field) -> None:
        if self.group.data == "ny" and not field.data:
            raise ValidationError(_("Skriv navnet på den nye gruppen."))


class GroupForm(Form):
    title = text_field(_l("Overskrift"), 200)


class ServiceForm(Form):
    label = text_field(_l("Navn"), 120)
    description = text_field(_l("Beskrivelse"), 500)
    phone = StringField(
        _l("Telefonnummer"), [DataRequired(REQUIRED), Length(max=40, message=_l("For langt.")), phone_number]
    )
    base = HiddenField()


class ChecklistForm(Form):
    title = text_field(_l("Overskrift"), 200)
    quote = area_field(_l("Sitat"), 500)
    signs = area_field(_l("Tegn på bekymring (ett per linje)"), 5000)
    base = HiddenField()


AUDIENCE_CHOICES = [
    SelectChoice("all", _l("Alle elever")),
    SelectChoice("under_18", _l("Under 18 år")),
    SelectChoice("over_18", _l("18 år eller eldre")),
]


class StepForm(Form):
    text = area_field(_l("Hva skal gjøres"), 2000)
    role = SelectField(_l("Hvem gjør det"), choices=[])  # the plan's roles, set by the view
    audience = SelectField(_l("Gjelder"), choices=AUDIENCE_CHOICES)
    heading = text_field(_l("Overskrift over steget (valgfri)"), 300, required=False)
    base = HiddenField()


class AlternativeForm(Form):
    label = text_field(_l("Navn (for eksempel «Alternativ 5»)"), 80)
    title = text_field(_l("Tittel"), 300)
    short = text_field(_l("Kort navn på knapper"), 120)
    urgent = BooleanField(_l("Akutt: vises under Akutt, kan varsles, og ringelisten kommer først"))
    parent = SelectField(_l("Hører under"), choices=[], default="")  # set by fill_choices
    services = MultiCheckboxField(_l("Numre som vises med alternativet"), choices=[])
    intro = area_field(_l("Innledning (valgfri)"), 2000, required=False)
    after_steps = area_field(_l("Tekst etter stegene (valgfri)"), 2000, required=False)
    meeting_text = area_field(_l("Om møtet"), 2000, required=False)
    agenda_intro = text_field(_l("Innledning til agendaen"), 300, required=False)
    agenda = area_field(_l("Agenda for møtet (ett punkt per linje)"), 5000, required=False)
    base = HiddenField()

    def fill_choices(self, data: dict, procedure_id: str | None) -> None:
        """Offer «Hører under» (none, or another procedure) and the plan's service numbers."""
        self.parent.choices = [SelectChoice("", _l("Ingen (et eget alternativ)"))] + [
            SelectChoice(p["id"], f"{p['label']}: {p['title']}")
            for p in data["procedure_list"]["procedures"]
            if p["id"] != procedure_id
        ]
        self.services.choices = [
            SelectChoice(s["id"], f"{s['label']} ({phones.display(s['phone'])})")
            for s in data["contacts"]["services"]
        ]

    def procedure_fields(self) -> dict:
        """The procedure's own fields as typed (the edit view adds the meeting)."""
        return {
            "label": self.label.data,
            "short": self.short.data,
            "urgent": bool(self.urgent.data),
            "parent": self.parent.data or None,
            "services": list(self.services.data or []),
            "title": self.title.data,
            "intro": self.intro.data or None,
            "after_steps": self.after_steps.data or None,
        }


class SectionForm(Form):
    title = text_field(_l("Overskrift"), 200)
    page_title = text_field(_l("Sidetittel under «Om planen» (valgfri)"), 200, required=False)
    body = area_field(_l("Tekst (Markdown)"), 50000)
    body_en = area_field(_l("Tekst på engelsk (valgfri, Markdown)"), 50000, required=False)
    base = HiddenField()


class LinksForm(Form):
    useful = area_field(_l("Nyttige lenker (én per linje: Tittel | https://adresse)"), 10000)
    base = HiddenField()


class DatesForm(Form):
    school_year = text_field(_l("Skoleår"), 20)
    version = text_field(_l("Versjon (som i planen, f.eks. «august 2025»)"), 60)
    version_date = DateField(_l("Versjonsdato"), [InputRequired(_l("Velg en dato."))])
    next_revision = text_field(_l("Neste revisjon (som i planen, f.eks. «juni 2026»)"), 60)
    next_revision_date = DateField(_l("Dato for neste revisjon"), [InputRequired(_l("Velg en dato."))])
    responsible = text_field(_l("Ansvarlig for revisjonen"), 200)
    base = HiddenField()

    def validate_next_revision(self, field) -> None:
        """The printed text and the date say the same month and year, so paper and reminder agree."""
        due = self.next_revision_date.data
        if due is None or not field.data:
            return
        month, year = named_month_and_year(field.data)
        wanted = month_and_year(due)
        if month is None or year is None:
            raise ValidationError(
                _("Skriv måned og år, slik datoen under sier, for eksempel «%(wanted)s».", wanted=wanted)
            )
        if (month, year) != (due.month, due.year):
            said = f"{MONTHS[month - 1]} {year}"
            raise ValidationError(
                _(
                    "Teksten sier %(said)s, men datoen er %(date)s. Skriv «%(wanted)s», eller velg en dato i "
                    "%(said)s.",
                    said=said,
                    date=norwegian_date(due),
                    wanted=wanted,
                )
            )

    def validate_next_revision_date(self, field) -> None:
        """A review date already past would make the plan overdue the moment it is published."""
        if field.data is not None and field.data < accounts.now().date():
            raise ValidationError(_("Datoen har passert. Velg når planen skal revideres neste gang."))


class StatementsForm(Form):
    owner = text_field(_l("Skoleeier (behandlingsansvarlig)"), 200)
    feedback_contact = SelectField(_l("Tar imot tilbakemeldinger"), choices=[], validate_choice=True)
    email = StringField(
        _l("E-post for tilbakemeldinger (valgfritt)"),
        [Optional(), Length(max=200, message=_l("Høyst %(max)d tegn.")), no_control_characters],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )
    accessibility_reviewed = DateField(
        _l("Tilgjengelighetserklæringen sist gjennomgått"), [InputRequired(_l("Velg en dato."))]
    )
    privacy_reviewed = DateField(
        _l("Personvernerklæringen sist gjennomgått"), [InputRequired(_l("Velg en dato."))]
    )
    base = HiddenField()

    def validate_email(self, field) -> None:
        if field.data and not STATEMENT_EMAIL.fullmatch(field.data):
            raise ValidationError(_("Skriv en gyldig e-postadresse, for eksempel post@skole.no."))


class PublishForm(Form):
    note = text_field(_l("Hva er endret?"), 500)
    version = HiddenField()


class RestoreForm(Form):
    note = text_field(_l("Hvorfor? (valgfritt)"), 500, required=False)


class UploadForm(Form):
    """A zip of the content folder, loaded into the draft (never straight to the public site)."""

    archive = FileField(_l("Zip-fil med innholdsmappen"), [FileRequired(_l("Velg en zip-fil."))])
    replace = BooleanField(_l("Erstatt endringene som ligger i utkastet nå"))


# ---------------------------------------------------------------- alerts
# The alert form has no free-text field on purpose: only choices (alternative, place from the admin's
# list) and a hidden drill flag, so no student's name can ever be typed into an alert.


class AlertForm(FlaskForm):
    """Send an alert to the leadership: one of the plan's urgent procedures and a place from the list."""

    alternative = RadioField(
        _l("Hva gjelder det?"),
        # Filled by the view from the current plan's urgent procedures, in the plan's own words.
        choices=[],
        validators=[InputRequired(_l("Velg hva det gjelder."))],
        invalid_choice_message=_l("Velg et av planens akutte alternativer fra listen."),
    )
    place = RadioField(_l("Hvor?"), coerce=int, validators=[InputRequired(_l("Velg et sted fra listen."))])
    # Set to "1" by js/alert.js when drill mode is on in this browser.
    drill = HiddenField(default="0", validators=[AnyOf(["0", "1"], message=_l("Ugyldig verdi."))])


class DrillForm(FlaskForm):
    """Send a drill («Øvelse») to the leadership from the readiness page: a place from the list."""

    place = RadioField(
        _l("Hvor later dere som det skjer?"),
        coerce=int,
        validators=[InputRequired(_l("Velg et sted fra listen."))],
    )


class PlaceForm(FlaskForm):
    """Add or rename a place (a room or an area; never a person)."""

    name = text_field(_l("Navn på stedet"), max_length=80)


class ResetRequestForm(Form):
    email = StringField(_l("E-post"), [InputRequired(REQUIRED), Length(max=254, message=_l("For lang."))])


# --- Administration of the general plan model (roles, procedures, guide, lists, sections, settings) ----


class DeleteForm(Form):
    """A confirmation page's «Fjern» button: the CSRF token and how the item looked when shown."""

    base = HiddenField()


class RoleForm(Form):
    label = text_field(_l("Navn på rollen"), 120)
    call_chain = BooleanField(_l("Ringes i akutte saker (personer med denne rollen står i ringelisten)"))
    base = HiddenField()


class NewProcedureForm(AlternativeForm):
    question = SelectField(_l("Spørsmålet som leder hit"), choices=[], default="")
    answer_label = text_field(_l("Svaret på knappen"), 200, required=False)

    def validate_answer_label(self, field) -> None:
        if self.question.data and not field.data:
            raise ValidationError(_l("Skriv svaret som leder til alternativet."))


class AnswerRow(PlainForm):
    """One answer of a guided question: the button's words and where it leads (no CSRF of its own)."""

    label = StringField(
        _l("Svar"),
        [Optional(), Length(max=200, message=_l("Høyst 200 tegn.")), no_control_characters, single_line],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )
    target = SelectField(_l("Leder til"), choices=[], validate_choice=False)


class QuestionForm(Form):
    text = text_field(_l("Spørsmålet"), 300)
    help = text_field(_l("Forklaring under spørsmålet (valgfri)"), 500, required=False)
    answers = FieldList(FormField(AnswerRow), min_entries=1, max_entries=12)
    base = HiddenField()


class NewQuestionForm(QuestionForm):
    via = SelectField(_l("Svaret som skal lede til det nye spørsmålet"), choices=[], validate_choice=True)


class StartForm(Form):
    start = SelectField(_l("Første spørsmål"), choices=[], validate_choice=True)


class ActivityForm(Form):
    month = SelectField(_l("Måned"), choices=[], coerce=int, validate_choice=True)
    text = text_field(_l("Aktivitet"), 300)
    responsible = SelectField(_l("Ansvarlig"), choices=[], validate_choice=True)
    wheel_title = text_field(_l("Overskrift for årshjulet"), 200, required=False)


class ActivityEditForm(ActivityForm):
    base = HiddenField()


class WheelForm(Form):
    title = text_field(_l("Overskrift"), 200)
    intro = area_field(_l("Innledning (valgfri)"), 2000, required=False)
    base = HiddenField()


class NewSectionForm(Form):
    slug = StringField(
        _l("Adresse (små bokstaver og bindestrek, for eksempel «rutiner»)"),
        [
            DataRequired(REQUIRED),
            Length(max=60, message=_l("Høyst 60 tegn.")),
            Regexp(
                r"^[a-z0-9]+(?:-[a-z0-9]+)*$", message=_l("Bruk bare små bokstaver a–z, tall og bindestrek.")
            ),
        ],
        filters=[lambda v: v.strip().lower() if isinstance(v, str) else v],
    )
    title = text_field(_l("Overskrift"), 200)
    body = area_field(_l("Tekst (Markdown)"), 50000)


LANGUAGE_CHOICES = [SelectChoice("nb", _l("Bokmål")), SelectChoice("nn", _l("Nynorsk"))]


class SettingsForm(Form):
    school = text_field(_l("Skolens navn"), 200)
    school_short = text_field(_l("Kort navn"), 80)
    title = text_field(_l("Planens tittel"), 300)
    language = RadioField(_l("Skolens språk"), choices=LANGUAGE_CHOICES, validators=[InputRequired(REQUIRED)])
    archive_name = text_field(_l("Arkivsystem (for eksempel «Public 360»)"), 80)
    note_title = text_field(_l("Tittel på notatet til arkivet"), 120)
    note_hint = text_field(_l("Hjelpetekst under notatets tittel"), 300)
    base = HiddenField()
