"""The webhooks the emulator sends: Meta's signed bodies, and Twilio's status callbacks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from wa_outbound._kinds import SendKind
from wa_outbound.testing._enforcement import _title
from wa_outbound.testing._hooks import WebhookDelivery, meta_delivery, twilio_delivery
from wa_outbound.testing._platform import _TWILIO, _TWILIO_API, EmulatedMessage, _Platform, _unix

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime


_ERROR_DOCS: Final = (
    "https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes"
)


_PRICING_CATEGORY: Final = {
    SendKind.FREE_FORM: "service",
    SendKind.MARKETING_TEMPLATE: "marketing",
    SendKind.UTILITY_TEMPLATE: "utility",
    SendKind.AUTHENTICATION_TEMPLATE: "authentication",
}


class _Emission(_Platform):
    """Meta webhook bodies and Twilio status callbacks, built from the messages' statuses."""

    def _metadata(self) -> dict[str, str]:
        return {
            "display_phone_number": self.display_phone_number,
            "phone_number_id": self.phone_number_id,
        }

    def _meta_hook(
        self, field: str, value: Mapping[str, Any], *, at: datetime | None = None
    ) -> None:
        delivery = meta_delivery(
            self.webhook_url,
            self.app_secret,
            waba_id=self.waba_id,
            field=field,
            value=value,
            time=None if at is None else int(at.timestamp()),
        )
        self._pending.append(delivery)

    def _status_deliveries(self, due: list[tuple[str, str]]) -> list[WebhookDelivery]:
        deliveries: list[WebhookDelivery] = []
        meta: list[dict[str, Any]] = []
        for message_id, status in due:
            message = self._messages[message_id]
            if message.provider is _TWILIO:
                if message.status_callback:
                    deliveries.append(self._twilio_callback(message, status))
                continue
            meta.append(self._meta_status(message, status))
        for start in range(0, len(meta), self._batch_size):
            batch = meta[start : start + self._batch_size]
            value = {
                "messaging_product": "whatsapp",
                "metadata": self._metadata(),
                "statuses": batch,
            }
            deliveries.append(
                meta_delivery(
                    self.webhook_url,
                    self.app_secret,
                    waba_id=self.waba_id,
                    field="messages",
                    value=value,
                    statuses=len(batch),
                )
            )
        return deliveries

    def _meta_status(self, message: EmulatedMessage, status: str) -> dict[str, Any]:
        when = self._status_instant(message, status)
        item: dict[str, Any] = {
            "id": message.id,
            "status": status,
            "timestamp": _unix(when),
            "recipient_id": message.recipient,
        }
        if message.key:
            item["biz_opaque_callback_data"] = message.key
        item["pricing"] = {
            "billable": message.billable,
            "pricing_model": "PMP",
            "category": _PRICING_CATEGORY[message.kind],
            "type": message.pricing_type,
        }
        if status == "failed" and message.error_code is not None:
            title = _title(message.error_code)
            item["errors"] = [
                {
                    "code": message.error_code,
                    "title": title,
                    "message": title,
                    "error_data": {"details": message.error_detail},
                    "href": _ERROR_DOCS,
                }
            ]
        return item

    def _status_instant(self, message: EmulatedMessage, status: str) -> datetime:
        sent, delivered, read = self._delays
        offset = {"sent": sent, "failed": sent, "delivered": delivered, "read": read}[status]
        return message.accepted_at + offset

    def _twilio_callback(self, message: EmulatedMessage, status: str) -> WebhookDelivery:
        params = {
            "AccountSid": self.twilio_account_sid,
            "ApiVersion": _TWILIO_API,
            "ChannelPrefix": "whatsapp",
            "ChannelToAddress": f"+{message.recipient}",
            "From": self.twilio_from,
            "MessageSid": message.id,
            "MessageStatus": status,
            "SmsSid": message.id,
            "SmsStatus": status,
            "To": f"whatsapp:+{message.recipient}",
        }
        if status == "failed" and message.error_code is not None:
            params["ErrorCode"] = str(message.error_code)
            params["ErrorMessage"] = message.error_detail
        return twilio_delivery(message.status_callback, self.twilio_auth_token, params)
