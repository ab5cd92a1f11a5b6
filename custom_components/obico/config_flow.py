"""Config flow of the Obico integration: ML servers and their printers."""

from __future__ import annotations

from collections.abc import Mapping
import io
from types import MappingProxyType
from typing import Any
from urllib.parse import urlparse

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_DEVICE_ID, CONF_NAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import AbortFlow
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    DeviceFilterSelectorConfig,
    DeviceSelector,
    DeviceSelectorConfig,
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from PIL import Image, ImageDraw

from .alerts import Action
from .api import (
    ObicoAuthError,
    ObicoError,
    ObicoFrameError,
    ObicoMlClient,
    ObicoNotReadyError,
    ObicoResponseError,
    ObicoServerError,
    normalize_url,
)
from .const import (
    CONF_ACTION,
    CONF_FRAME_ENTITY,
    CONF_HA_URL,
    CONF_INTERVAL,
    CONF_JOB_ENTITY,
    CONF_MAX_CONCURRENT,
    CONF_ML_URL,
    CONF_NOTIFY_TARGET,
    CONF_PAUSE_ENTITY,
    CONF_PAUSED_STATES,
    CONF_POWER_OFF_DELAY,
    CONF_POWER_SWITCH,
    CONF_PRESET,
    CONF_PRINT_STATE_ENTITY,
    CONF_PRINTING_STATES,
    CONF_SENSITIVITY,
    CONF_TOKEN,
    DEFAULT_INTERVAL,
    DEFAULT_MAX_CONCURRENT,
    DEFAULT_POWER_OFF_DELAY,
    DEFAULT_SENSITIVITY,
    DOMAIN,
    LOGGER,
    MAX_INTERVAL,
    MAX_MAX_CONCURRENT,
    MAX_POWER_OFF_DELAY,
    MAX_SENSITIVITY,
    MIN_INTERVAL,
    MIN_SENSITIVITY,
    SUBENTRY_PRINTER,
)
from .frames import Frame, async_get_frame_store, frame_path
from .presets import PRINTER_PRESETS, Preset, find_entities
from .round_trip import async_analyze, frame_base_url
from .validation import vol

URL_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
_INTEGER_FIELDS = (CONF_INTERVAL, CONF_POWER_OFF_DELAY)


class ServerCheckError(Exception):
    """The server check failed with a form error key and its placeholders."""

    def __init__(self, error: str, placeholders: dict[str, str] | None = None) -> None:
        """Carry the error key of the form."""
        super().__init__(error)
        self.error = error
        self.placeholders = placeholders or {}


_TOKEN_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_SERVER_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_ML_URL): URL_SELECTOR,
        vol.Optional(CONF_TOKEN): _TOKEN_SELECTOR,
        vol.Optional(CONF_HA_URL): URL_SELECTOR,
        vol.Required(
            CONF_MAX_CONCURRENT, default=DEFAULT_MAX_CONCURRENT
        ): NumberSelector(
            NumberSelectorConfig(
                min=1, max=MAX_MAX_CONCURRENT, step=1, mode=NumberSelectorMode.BOX
            )
        ),
    }
)
_TOKEN_SCHEMA = vol.Schema({vol.Optional(CONF_TOKEN): _TOKEN_SELECTOR})


def _test_frame() -> bytes:
    """A small JPEG that proves the whole frame path works."""
    picture = Image.new("RGB", (320, 240), (40, 40, 40))
    ImageDraw.Draw(picture).rectangle((80, 60, 240, 180), outline=(230, 230, 230))
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def _normalized_server_input(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Clean the server form; raise ServerCheckError on a malformed URL."""
    try:
        data: dict[str, Any] = {CONF_ML_URL: normalize_url(user_input[CONF_ML_URL])}
    except ValueError as err:
        raise ServerCheckError("invalid_url") from err
    if ha_url := normalized_ha_url(user_input.get(CONF_HA_URL, "")):
        data[CONF_HA_URL] = ha_url
    if token := user_input.get(CONF_TOKEN, "").strip():
        data[CONF_TOKEN] = token
    data[CONF_MAX_CONCURRENT] = int(
        user_input.get(CONF_MAX_CONCURRENT, DEFAULT_MAX_CONCURRENT)
    )
    return data


def normalized_ha_url(value: str) -> str | None:
    """The URL the ML server is to reach Home Assistant at; None for its own URL."""
    if not (value := value.strip()):
        return None
    try:
        return normalize_url(value)
    except ValueError as err:
        raise ServerCheckError("invalid_ha_url") from err


async def async_check(hass: HomeAssistant, data: Mapping[str, Any]) -> None:
    """Check a server's data as its forms do; anything unforeseen is "unknown"."""
    try:
        await async_check_server(hass, data)
    except ServerCheckError:
        raise
    except Exception as err:
        LOGGER.exception("Unexpected error while checking the Obico ML server")
        raise ServerCheckError("unknown") from err


async def async_check_server(hass: HomeAssistant, data: Mapping[str, Any]) -> None:
    """Prove that the server answers, accepts the token and can fetch our frames.

    Each way this can fail is a form error of its own that says what to do:
    the user is often setting up the ML server at the same time.
    """
    ml_url = data[CONF_ML_URL]
    client = ObicoMlClient(
        async_get_clientsession(hass), ml_url, token=data.get(CONF_TOKEN)
    )
    try:
        base_url = frame_base_url(hass, data.get(CONF_HA_URL))
    except ObicoFrameError as err:
        raise ServerCheckError("no_ha_url") from err
    test_frame = Frame(await hass.async_add_executor_job(_test_frame), "image/jpeg")
    try:
        await client.health()
        await async_analyze(
            hass, client, async_get_frame_store(hass), base_url, test_frame
        )
    except ObicoError as err:
        raise _server_check_error(err, ml_url, base_url) from err


def _server_check_error(
    err: ObicoError, ml_url: str, base_url: str
) -> ServerCheckError:
    """The form error for what went wrong, with what the message needs."""
    match err:
        case ObicoAuthError(token_sent=True):
            return ServerCheckError("invalid_auth")
        case ObicoAuthError():
            return ServerCheckError("token_needed")
        case ObicoFrameError():
            return ServerCheckError(
                "frame_unreachable",
                {"frame_url": base_url + frame_path("…"), "reason": err.reason},
            )
        case ObicoServerError():
            return ServerCheckError(
                "server_error", {"ml_url": ml_url, "status": str(err.status)}
            )
        case ObicoNotReadyError():
            return ServerCheckError("server_not_ready", {"ml_url": ml_url})
        case ObicoResponseError():
            return ServerCheckError("not_obico", {"ml_url": ml_url, "error": str(err)})
        case _:
            return ServerCheckError("cannot_connect", {"ml_url": ml_url})


def _server_title(ml_url: str) -> str:
    return f"Obico ML API ({urlparse(ml_url).netloc})"


class ObicoConfigFlow(ConfigFlow, domain=DOMAIN):
    """Adds an Obico ML server."""

    VERSION = 1
    MINOR_VERSION = 2

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Printers are subentries of a server."""
        return {SUBENTRY_PRINTER: PrinterSubentryFlow}

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the server and check it end to end."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            try:
                data = _normalized_server_input(user_input)
                # A flow left open (a reload after an error) must not lock the
                # URL out: only a configured server does.
                await self.async_set_unique_id(
                    data[CONF_ML_URL], raise_on_progress=False
                )
                self._abort_if_unique_id_configured()
                await async_check(self.hass, data)
            except ServerCheckError as err:
                errors["base"] = err.error
                placeholders = err.placeholders
            else:
                return self.async_create_entry(
                    title=_server_title(data[CONF_ML_URL]), data=data
                )
        return self._show_server_form("user", user_input, errors, placeholders)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the server's address, token or limits."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            try:
                data = _normalized_server_input(user_input)
                data.setdefault(CONF_TOKEN, entry.data.get(CONF_TOKEN))
                self._abort_if_url_taken(data[CONF_ML_URL], entry)
                await async_check(self.hass, data)
            except ServerCheckError as err:
                errors["base"] = err.error
                placeholders = err.placeholders
            else:
                return self.async_update_and_abort(
                    entry,
                    unique_id=data[CONF_ML_URL],
                    title=_server_title(data[CONF_ML_URL]),
                    data={
                        key: value for key, value in data.items() if value is not None
                    },
                )
        suggested = user_input or {
            key: value for key, value in entry.data.items() if key != CONF_TOKEN
        }
        return self._show_server_form("reconfigure", suggested, errors, placeholders)

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """The server refused the token."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the server's current token."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {"ml_url": entry.data[CONF_ML_URL]}
        if user_input is not None:
            data = {**entry.data}
            data.pop(CONF_TOKEN, None)
            if token := user_input.get(CONF_TOKEN, "").strip():
                data[CONF_TOKEN] = token
            try:
                await async_check(self.hass, data)
            except ServerCheckError as err:
                errors["base"] = err.error
                placeholders |= err.placeholders
            else:
                return self.async_update_and_abort(entry, data=data)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=_TOKEN_SCHEMA,
            errors=errors,
            description_placeholders=placeholders,
        )

    def _abort_if_url_taken(self, ml_url: str, entry: ConfigEntry) -> None:
        for other in self._async_current_entries(include_ignore=False):
            if other.entry_id != entry.entry_id and other.unique_id == ml_url:
                raise AbortFlow("already_configured")

    def _show_server_form(
        self,
        step_id: str,
        suggested: Mapping[str, Any] | None,
        errors: dict[str, str],
        placeholders: dict[str, str],
    ) -> ConfigFlowResult:
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                _SERVER_SCHEMA, suggested or {}
            ),
            errors=errors,
            description_placeholders=placeholders,
        )


_ACTION_SELECTOR = SelectSelector(
    SelectSelectorConfig(
        options=[action.value for action in Action],
        translation_key=CONF_ACTION,
        mode=SelectSelectorMode.LIST,
    )
)


_PRINTER_START_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_PRESET, default="bambu_lab"): SelectSelector(
            SelectSelectorConfig(
                options=list(PRINTER_PRESETS),
                translation_key=CONF_PRESET,
                mode=SelectSelectorMode.LIST,
            )
        ),
        # The devices of every preset's integration: the preset is chosen in
        # the same form, so the list cannot follow it.
        vol.Optional(CONF_DEVICE_ID): DeviceSelector(
            DeviceSelectorConfig(
                filter=[
                    DeviceFilterSelectorConfig(integration=preset.integration)
                    for preset in PRINTER_PRESETS.values()
                    if preset.integration
                ]
            )
        ),
        vol.Required(CONF_ACTION, default=Action.PAUSE.value): _ACTION_SELECTOR,
    }
)


def _device_suggestions(
    hass: HomeAssistant, preset: Preset, device_id: str
) -> dict[str, Any] | None:
    """The printer form's values that a device of the preset's integration gives.

    None when the device has no entity of that integration. A role whose
    entity is not found is left out, for the user to fill in.
    """
    entities = er.async_entries_for_device(er.async_get(hass), device_id)
    if not preset.owns(entities):
        return None
    found = find_entities(preset, entities)
    device = dr.async_get(hass).async_get(device_id)
    values = {
        CONF_NAME: (device.name_by_user or device.name) if device else None,
        CONF_FRAME_ENTITY: found.frame,
        CONF_PRINT_STATE_ENTITY: found.print_state,
        CONF_JOB_ENTITY: found.job,
        CONF_PAUSE_ENTITY: found.pause,
    }
    return {key: value for key, value in values.items() if value}


def _printer_schema(
    hass: HomeAssistant, state_options: list[str], action: Action
) -> vol.Schema:
    """The printer form, with the fields of the chosen action only."""
    states = SelectSelector(
        SelectSelectorConfig(
            options=state_options,
            multiple=True,
            custom_value=True,
            mode=SelectSelectorMode.DROPDOWN,
        )
    )
    fields: dict[vol.Marker, Any] = {
        vol.Required(CONF_NAME): TextSelector(),
        vol.Required(CONF_FRAME_ENTITY): EntitySelector(
            EntitySelectorConfig(domain=["camera", "image"])
        ),
        vol.Required(CONF_PRINT_STATE_ENTITY): EntitySelector(),
        vol.Required(CONF_PRINTING_STATES): states,
        vol.Optional(CONF_PAUSED_STATES): states,
        vol.Optional(CONF_JOB_ENTITY): EntitySelector(),
    }
    if action is not Action.NOTIFY:
        fields[vol.Required(CONF_PAUSE_ENTITY)] = EntitySelector(
            EntitySelectorConfig(domain=["button", "script", "switch"])
        )
    if action is Action.PAUSE_AND_OFF:
        fields[vol.Required(CONF_POWER_SWITCH)] = EntitySelector(
            EntitySelectorConfig(domain="switch")
        )
        fields[vol.Required(CONF_POWER_OFF_DELAY, default=DEFAULT_POWER_OFF_DELAY)] = (
            NumberSelector(
                NumberSelectorConfig(
                    min=0,
                    max=MAX_POWER_OFF_DELAY,
                    step=1,
                    unit_of_measurement="s",
                    mode=NumberSelectorMode.BOX,
                )
            )
        )
    fields[vol.Required(CONF_SENSITIVITY, default=DEFAULT_SENSITIVITY)] = (
        NumberSelector(
            NumberSelectorConfig(
                min=MIN_SENSITIVITY,
                max=MAX_SENSITIVITY,
                step=0.05,
                mode=NumberSelectorMode.SLIDER,
            )
        )
    )
    fields[vol.Required(CONF_INTERVAL, default=DEFAULT_INTERVAL)] = NumberSelector(
        NumberSelectorConfig(
            min=MIN_INTERVAL,
            max=MAX_INTERVAL,
            step=1,
            unit_of_measurement="s",
            mode=NumberSelectorMode.BOX,
        )
    )
    fields[vol.Optional(CONF_NOTIFY_TARGET)] = SelectSelector(
        SelectSelectorConfig(
            options=sorted(hass.services.async_services_for_domain("notify")),
            custom_value=True,
            mode=SelectSelectorMode.DROPDOWN,
        )
    )
    return vol.Schema(fields)


def _printer_errors(hass: HomeAssistant, data: Mapping[str, Any]) -> dict[str, str]:
    """Check a printer form for settings that cannot work together."""
    errors: dict[str, str] = {}
    printing = set(data.get(CONF_PRINTING_STATES, ()))
    if not printing:
        errors[CONF_PRINTING_STATES] = "printing_states_required"
    elif printing & set(data.get(CONF_PAUSED_STATES, ())):
        errors[CONF_PAUSED_STATES] = "states_overlap"
    target = data.get(CONF_NOTIFY_TARGET)
    if target and not hass.services.has_service(
        "notify", target.removeprefix("notify.")
    ):
        errors[CONF_NOTIFY_TARGET] = "notify_target_unknown"
    return errors


def _printer_data(user_input: Mapping[str, Any], action: Action) -> dict[str, Any]:
    """The subentry data of a valid printer form, without its title."""
    data = {key: value for key, value in user_input.items() if key != CONF_NAME}
    data[CONF_ACTION] = action.value
    for key in _INTEGER_FIELDS:
        if key in data:
            data[key] = int(data[key])
    data[CONF_SENSITIVITY] = float(data[CONF_SENSITIVITY])
    if target := data.get(CONF_NOTIFY_TARGET):
        data[CONF_NOTIFY_TARGET] = target.removeprefix("notify.")
    return data


class PrinterSubentryFlow(ConfigSubentryFlow):
    """Adds or changes a printer watched through an ML server.

    The first step asks for the printer's integration, maybe its device, and
    what to do about a failure, so that the second comes filled in and shows
    only the fields that action needs.
    """

    _preset = PRINTER_PRESETS["custom"]
    _action = Action.NOTIFY
    # What the printer's device gave for the printer form.
    _suggested: Mapping[str, Any] = MappingProxyType({})

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Pick the printer integration, maybe the printer's device, and the action.

        The preset fills in the states; the device, the entities.
        """
        errors: dict[str, str] = {}
        if user_input is not None:
            preset = PRINTER_PRESETS[user_input[CONF_PRESET]]
            suggested: Mapping[str, Any] | None = {}
            if device_id := user_input.get(CONF_DEVICE_ID):
                suggested = _device_suggestions(self.hass, preset, device_id)
            if suggested is None:
                errors[CONF_DEVICE_ID] = "device_not_of_preset"
            else:
                self._preset, self._suggested = preset, suggested
                self._action = Action(user_input[CONF_ACTION])
                return await self.async_step_printer()
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                _PRINTER_START_SCHEMA, user_input or {}
            ),
            errors=errors,
            last_step=False,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change what to do about a failure; the printer's details come next."""
        if user_input is not None:
            self._action = Action(user_input[CONF_ACTION])
            return await self.async_step_printer()
        current = self._get_reconfigure_subentry().data[CONF_ACTION]
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema({vol.Required(CONF_ACTION): _ACTION_SELECTOR}),
                {CONF_ACTION: current},
            ),
            last_step=False,
        )

    async def async_step_printer(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Describe the printer: its camera, its state, and the action's entities."""
        reconfiguring = self.source == SOURCE_RECONFIGURE
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = self._errors(user_input)
            if not errors:
                return self._save(user_input, reconfiguring=reconfiguring)
        if reconfiguring:
            subentry = self._get_reconfigure_subentry()
            current = {**subentry.data, CONF_NAME: subentry.title}
            states = [
                *current[CONF_PRINTING_STATES],
                *current.get(CONF_PAUSED_STATES, []),
            ]
            suggested = user_input or current
        else:
            printing = list(self._preset.printing_states)
            paused = list(self._preset.paused_states)
            states = [*printing, *paused]
            # The preset and the device fill the first form only: after an
            # error the form shows exactly what the user entered, cleared
            # fields included.
            suggested = user_input or {
                CONF_PRINTING_STATES: printing,
                CONF_PAUSED_STATES: paused,
                **self._suggested,
            }
        schema = _printer_schema(self.hass, states, self._action)
        return self.async_show_form(
            step_id="printer",
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
            last_step=True,
        )

    def _save(
        self, user_input: Mapping[str, Any], *, reconfiguring: bool
    ) -> SubentryFlowResult:
        data = _printer_data(user_input, self._action)
        title = user_input[CONF_NAME]
        unique_id = user_input[CONF_FRAME_ENTITY]
        if reconfiguring:
            return self.async_update_and_abort(
                self._get_entry(),
                self._get_reconfigure_subentry(),
                title=title,
                data=data,
                unique_id=unique_id,
            )
        return self.async_create_entry(title=title, data=data, unique_id=unique_id)

    def _errors(self, user_input: Mapping[str, Any]) -> dict[str, str]:
        errors = _printer_errors(self.hass, user_input)
        this_printer = (
            self._get_reconfigure_subentry().subentry_id
            if self.source == SOURCE_RECONFIGURE
            else None
        )
        for subentry in self._get_entry().subentries.values():
            if (
                subentry.subentry_id != this_printer
                and subentry.unique_id == user_input[CONF_FRAME_ENTITY]
            ):
                errors[CONF_FRAME_ENTITY] = "frame_entity_in_use"
        return errors
