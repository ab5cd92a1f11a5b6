"""What the notifications say, and what a notify target gets with them.

The wording lives in translations/en.json. Notifications are no category of
their own there, so their texts are kept under ``exceptions``: the free-text
category that Home Assistant's translation validation (hassfest) accepts for
any integration. Home Assistant loads every category of the file, in the
user's language with English behind each missing key.

A notify target such as a companion app also gets the annotated frame and two
buttons, "Not a failure" and "Mute this print", whose action ids name the
printer (answers.py carries them out).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.translation import async_get_translations

from .alerts import Notice
from .const import DOMAIN, KEY_LAST_FRAME, unique_id


class FollowUp(StrEnum):
    """The notifications that follow a pause, beside the notices of alerts.py."""

    PAUSE_CONFIRMED = "pause_confirmed"
    PAUSE_FAILED = "pause_failed"
    POWER_OFF_FAILED = "power_off_failed"


type Message = Notice | FollowUp

MESSAGES: Final[tuple[Message, ...]] = (*Notice, *FollowUp)
"""Every notification there is; each has a title and a text in translations."""

ANSWERS: Final = ("not_a_failure", "mute_print")
"""The buttons of a notification about a detection: the keys of the printer's
buttons that they stand for, whose names they show."""


ANSWER_ON_DEVICE: Final = "notification_answer_on_device"
ANSWER_WITH_BUTTONS: Final = "notification_answer_with_buttons"
"""The keys, under ``exceptions``, of how to answer a detection, by channel."""


def translation_keys(message: Message) -> tuple[str, str]:
    """The keys, under ``exceptions``, of a notification's title and text."""
    return f"notification_{message}_title", f"notification_{message}_message"


def action_id(button: str, subentry_id: str) -> str:
    """The action id of a notification button that presses a printer's ``button``."""
    return f"{action_prefix(button)}{subentry_id}"


def action_prefix(button: str) -> str:
    """What the action ids of a printer's ``button`` begin with."""
    return f"OBICO_{button.upper()}_"


@dataclass(frozen=True, slots=True, kw_only=True)
class Notification:
    """One notification, as the persistent notification and a notify target get it."""

    title: str
    message: str
    """The persistent notification's text: answered on the printer's device."""
    notify_message: str
    """The notify target's text: answered with the notification's buttons."""
    notify_data: dict[str, Any]
    """The companion apps' extras: the frame, the buttons, a tag to replace."""


async def async_compose(
    hass: HomeAssistant,
    *,
    printer: str,
    subentry_id: str,
    message: Message,
    risk: float | None,
    details: Mapping[str, str],
) -> Notification:
    """Word a notification; one about a detection (it has a risk) says how to answer.

    ``details`` fill the placeholders other than the printer and the risk.
    """
    texts = await _Texts.async_load(hass)
    values = {"printer": printer, **details}
    if risk is not None:
        values["risk"] = f"{risk:.0f} %"
    title_key, message_key = translation_keys(message)
    title, body = texts.text(title_key, values), texts.text(message_key, values)
    if risk is None:
        return Notification(
            title=title,
            message=body,
            notify_message=body,
            notify_data={"tag": notification_id(subentry_id)},
        )
    buttons = [
        {"action": action_id(button, subentry_id), "title": texts.button_name(button)}
        for button in ANSWERS
    ]
    data: dict[str, Any] = {"tag": notification_id(subentry_id), "actions": buttons}
    if (image := _frame_url(hass, subentry_id)) is not None:
        data["image"] = image
    return Notification(
        title=title,
        message=f"{body} {texts.text(ANSWER_ON_DEVICE, values)}",
        notify_message=f"{body} {texts.text(ANSWER_WITH_BUTTONS, values)}",
        notify_data=data,
    )


@dataclass(frozen=True, slots=True)
class _Texts:
    """The integration's translations in the user's language."""

    exceptions: Mapping[str, str]
    entities: Mapping[str, str]

    @classmethod
    async def async_load(cls, hass: HomeAssistant) -> _Texts:
        language = hass.config.language
        return cls(
            await async_get_translations(hass, language, "exceptions", [DOMAIN]),
            await async_get_translations(hass, language, "entity", [DOMAIN]),
        )

    def text(self, key: str, values: Mapping[str, str]) -> str:
        """A notification text, filled in; its key if no language has it."""
        text = self.exceptions.get(f"component.{DOMAIN}.exceptions.{key}.message")
        return key if text is None else text.format(**values)

    def button_name(self, button: str) -> str:
        """The name of the printer's button, which a notification button stands for."""
        return self.entities.get(
            f"component.{DOMAIN}.entity.button.{button}.name", button
        )


def notification_id(subentry_id: str) -> str:
    """One per printer, so that the next notification replaces the last.

    The persistent notification's id, and the tag of the notify target's.
    """
    return f"{DOMAIN}_{subentry_id}"


def last_frame_entity_id(hass: HomeAssistant, subentry_id: str) -> str | None:
    """The entity id of a printer's last analyzed frame, as the user named it."""
    return er.async_get(hass).async_get_entity_id(
        Platform.IMAGE, DOMAIN, unique_id(subentry_id, KEY_LAST_FRAME)
    )


def _frame_url(hass: HomeAssistant, subentry_id: str) -> str | None:
    """The proxy URL of the printer's annotated frame, which the apps fetch."""
    entity_id = last_frame_entity_id(hass, subentry_id)
    entity = er.async_get(hass).async_get(entity_id) if entity_id else None
    if entity is None or entity.disabled:
        return None
    return f"/api/image_proxy/{entity.entity_id}"
