"""Pydantic models of capture format v1: one payload model per event type.

Strict, closed (`extra="forbid"`) and value-free in errors (`hide_input_in_errors`).
`vectorised.py` reads these models' fields and constraints to build the SQL checks, so
a change here changes both the per-row and the bulk validation.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from datetime import datetime

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

SCHEMA_VERSION = "1"
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
TS_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$"
TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%gZ"  # DuckDB strptime: %g = milliseconds
REGION_PATTERN = r"^[A-Z]{2}$"
MAX_ID = 128
MAX_TEXT = 100_000



def real_instant(value: str) -> str:
    """The pattern fixes the shape; this rejects impossible dates such as month 13."""
    datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ")
    return value


Timestamp = Annotated[str, Field(pattern=TS_PATTERN), AfterValidator(real_instant)]
Id = Annotated[str, Field(min_length=1, max_length=MAX_ID)]
Text = Annotated[str, Field(max_length=MAX_TEXT)]
Pixel = Annotated[int, Field(ge=0, le=100_000)]
ScreenSize = Annotated[int, Field(ge=1, le=100_000)]
Delta = Annotated[int, Field(ge=-100_000, le=100_000)]


class Closed(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", hide_input_in_errors=True, frozen=True)


class MouseMove(Closed):
    x: Pixel
    y: Pixel
    screen_w: ScreenSize
    screen_h: ScreenSize


class MouseClick(MouseMove):
    button: Literal["left", "right", "middle"]
    clicks: Annotated[int, Field(ge=1, le=3)]


class Scroll(Closed):
    dx: Delta
    dy: Delta


class Key(Closed):
    key: Annotated[str, Field(min_length=1, max_length=32)]
    modifiers: list[Literal["ctrl", "alt", "shift", "meta"]]
    field: Literal["text", "password", "search", "unknown"]


class WindowFocus(Closed):
    pass


class AssistantPrompt(Closed):
    conversation_id: Id
    text: Text


class AssistantResponse(AssistantPrompt):
    model: Id


class ChatMessage(Closed):
    channel_id: Id
    channel_kind: Literal["dm", "group", "channel"]
    direction: Literal["sent", "received"]
    text: Text


PAYLOADS: dict[str, type[Closed]] = {
    "mouse_move": MouseMove,
    "mouse_click": MouseClick,
    "scroll": Scroll,
    "key": Key,
    "window_focus": WindowFocus,
    "assistant_prompt": AssistantPrompt,
    "assistant_response": AssistantResponse,
    "chat_message": ChatMessage,
}


class Event(Closed):
    """One capture line. `payload` is checked against `PAYLOADS[event_type]`."""

    schema_version: Literal["1"]
    event_id: Annotated[str, Field(pattern=UUID_PATTERN)]
    ts: Timestamp
    employee_id: Id
    device_id: Id
    session_id: Id
    region: Annotated[str, Field(pattern=REGION_PATTERN)]
    event_type: Literal[
        "mouse_move",
        "mouse_click",
        "scroll",
        "key",
        "window_focus",
        "assistant_prompt",
        "assistant_response",
        "chat_message",
    ]
    app: Annotated[str, Field(min_length=1, max_length=256)]
    window_title: Text | None = None
    url: Annotated[str, Field(max_length=8_192)] | None = None
    dss_level: Annotated[int, Field(ge=1, le=4)] | None = None
    payload: dict[str, Any]

    @field_validator("payload")
    @classmethod
    def _payload_matches_type(cls, payload: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        model = PAYLOADS.get(info.data.get("event_type", ""))
        if model is not None:
            model.model_validate(payload, strict=True)
        return payload


TOP_LEVEL_FIELDS: tuple[str, ...] = tuple(Event.model_fields)
EVENT_TYPES: tuple[str, ...] = tuple(PAYLOADS)
