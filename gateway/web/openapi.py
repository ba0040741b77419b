"""The OpenAPI 3.1 document of the JSON API, served at `/api/v1/openapi.json`.

Written by hand (the API is small); a test checks that every route of `api.py` is
described here and every path here is routed.
"""

from __future__ import annotations

from typing import Any


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _errors(*codes: int) -> dict[str, Any]:
    text = {400: "Bad input (the message says which)", 401: "No or invalid bearer token",
            403: "Outside the user's teams", 404: "No such held message",
            409: "Already released, rejected or deleted", 413: "Larger than max_message_size",
            415: "Unsupported Content-Type"}
    return {str(c): {"description": text[c],
                     "content": {"application/json": {"schema": _ref("Error")}}} for c in codes}


_HELD_ID = {"name": "held_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_COMMENT_BODY = {"required": False, "content": {"application/json": {"schema": _ref("Comment")}}}

_FINDING = {
    "type": "object",
    "required": ["policy", "severity", "message", "excerpt", "start", "end", "suggestion"],
    "properties": {
        "policy": {"type": "string", "description": "policy id, e.g. blame"},
        "severity": {"type": "string", "enum": ["info", "warn", "hold"]},
        "message": {"type": "string"},
        "excerpt": {"type": "string", "description": "the words the finding is about"},
        "start": {"type": "integer", "description": "start offset in reply_text"},
        "end": {"type": "integer", "description": "end offset (exclusive) in reply_text"},
        "suggestion": {"type": "string"},
    },
}

_SUMMARY = {
    "type": "object",
    "required": ["id", "team", "sender", "recipients", "subject", "created_at", "status",
                 "policies", "age_seconds", "url"],
    "properties": {
        "id": {"type": "integer"},
        "team": {"type": "string"},
        "sender": {"type": "string"},
        "recipients": {"type": "array", "items": {"type": "string"}},
        "subject": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "status": {"type": "string", "enum": ["held", "released", "rejected", "deleted"]},
        "policies": {"type": "array", "items": {"type": "string"}},
        "age_seconds": {"type": "integer"},
        "url": {"type": "string", "description": "the message's page in the web UI"},
    },
}

_HELD = {
    "allOf": [_ref("HeldSummary"), {
        "type": "object",
        "properties": {
            "message_id": {"type": ["string", "null"]},
            "findings": {"type": "array", "items": _ref("Finding")},
            "reasons": {"type": "array", "items": {"type": "string"}},
            "reply_text": {"type": "string", "description": "the agent's text (HTML reduced to text)"},
            "quoted_text": {"type": "string", "description": "the customer's message it answers"},
            "html": {"type": "boolean", "description": "the message has an HTML part"},
            "customer_wrote_at": {"type": ["string", "null"], "format": "date-time"},
            "replied_at": {"type": ["string", "null"], "format": "date-time"},
            "audit": {"type": "array", "items": _ref("AuditEntry")},
        },
    }],
}

_VERDICT = {
    "type": "object",
    "description": "The same object as `tact check --format json` prints (file is \"-\").",
    "required": ["file", "team", "action", "findings", "customer_wrote_at", "replied_at"],
    "properties": {
        "file": {"type": "string"},
        "team": {"type": "string"},
        "action": {"type": "string", "enum": ["pass", "annotate", "hold"]},
        "findings": {"type": "array", "items": _ref("Finding")},
        "customer_wrote_at": {"type": ["string", "null"], "format": "date-time"},
        "replied_at": {"type": ["string", "null"], "format": "date-time"},
        "reasons": {"type": "array", "items": {"type": "string"}},
        "errors": {"type": "array", "items": {"type": "string"}},
    },
}

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Tact review queue API", "version": "1",
             "description": "Held support replies: list, show, release, reject; and check a "
                            "draft before sending. Every call needs `Authorization: Bearer <token>`."},
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "paths": {
        "/held": {"get": {
            "summary": "The review queue (only the teams the user reviews)",
            "parameters": [
                {"name": "team", "in": "query", "schema": {"type": "string"}},
                {"name": "policy", "in": "query", "schema": {"type": "string"},
                 "description": "only messages with a finding of this policy id"},
                {"name": "min_age", "in": "query", "schema": {"type": "string"},
                 "description": "only messages held at least this long: '2h', '90m', '3d' or seconds"},
                {"name": "status", "in": "query",
                 "schema": {"type": "string", "enum": ["held", "released", "rejected", "deleted", "any"],
                            "default": "held"}},
            ],
            "responses": {"200": {"description": "The matching messages, oldest first",
                                  "content": {"application/json": {"schema": {
                                      "type": "object", "properties": {
                                          "count": {"type": "integer"},
                                          "held": {"type": "array", "items": _ref("HeldSummary")}}}}}},
                          **_errors(400, 401, 403)},
        }},
        "/held/{held_id}": {"get": {
            "summary": "One held message with findings, texts and audit trail",
            "parameters": [_HELD_ID],
            "responses": {"200": {"description": "The message",
                                  "content": {"application/json": {"schema": _ref("HeldMessage")}}},
                          **_errors(401, 403, 404)},
        }},
        "/held/{held_id}/release": {"post": {
            "summary": "Send the message as it is to its original recipients",
            "parameters": [_HELD_ID], "requestBody": _COMMENT_BODY,
            "responses": {"200": {"description": "Released",
                                  "content": {"application/json": {"schema": _ref("HeldSummary")}}},
                          **_errors(400, 401, 403, 404, 409)},
        }},
        "/held/{held_id}/reject": {"post": {
            "summary": "Do not send it; the agent receives the comment",
            "parameters": [_HELD_ID],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "allOf": [_ref("Comment"), {"required": ["comment"]}]}}}},
            "responses": {"200": {"description": "Rejected",
                                  "content": {"application/json": {"schema": _ref("HeldSummary")}}},
                          **_errors(400, 401, 403, 404, 409)},
        }},
        "/check": {"post": {
            "summary": "Check a draft: the verdict `tact check` would give",
            "parameters": [
                {"name": "team", "in": "query", "schema": {"type": "string"},
                 "description": "check as this team (default: the team of the sender)"},
                {"name": "sender", "in": "query", "schema": {"type": "string"},
                 "description": "the agent's address (default: the message's From)"},
                {"name": "subject", "in": "query", "schema": {"type": "string"},
                 "description": "text/plain only: the subject of the draft"},
            ],
            "requestBody": {"required": True, "content": {
                "message/rfc822": {"schema": {"type": "string", "format": "binary"}},
                "text/plain": {"schema": {"type": "string"}}}},
            "responses": {"200": {"description": "The verdict",
                                  "content": {"application/json": {"schema": _ref("Verdict")}}},
                          **_errors(400, 401, 413, 415)},
        }},
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {"type": "object", "required": ["error", "status"],
                      "properties": {"error": {"type": "string"}, "status": {"type": "integer"}}},
            "Comment": {"type": "object", "properties": {"comment": {"type": "string"}}},
            "Finding": _FINDING,
            "HeldSummary": _SUMMARY,
            "HeldMessage": _HELD,
            "AuditEntry": {"type": "object", "properties": {
                "at": {"type": "string", "format": "date-time"}, "actor": {"type": "string"},
                "action": {"type": "string"}, "comment": {"type": "string"}}},
            "Verdict": _VERDICT,
        },
    },
}
