"""Responses in AWS's wire formats: query-protocol XML (STS, IAM) and rest-json (EKS)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from eksaccess.sandbox.aws.errors import AwsError, AwsProtocol

NAMESPACES: Mapping[str, str] = {
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
}


@dataclass(frozen=True, kw_only=True, slots=True)
class AwsResponse:
    status: int
    body: bytes
    content_type: str
    headers: Mapping[str, str] = field(default_factory=dict)


def iso8601(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fill(parent: ET.Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if item is None:
                continue
            _fill(ET.SubElement(parent, key), item)
    elif isinstance(value, list | tuple):
        for item in value:
            _fill(ET.SubElement(parent, "member"), item)
    elif isinstance(value, bool):
        parent.text = "true" if value else "false"
    else:
        parent.text = str(value)


def query_response(
    service: str, action: str, result: Mapping[str, Any] | None, request_id: str
) -> AwsResponse:
    """``<ActionResponse><ActionResult>...</ActionResult><ResponseMetadata>`` (lists as ``member``)."""
    root = ET.Element(f"{action}Response", {"xmlns": NAMESPACES[service]})
    if result is not None:
        _fill(ET.SubElement(root, f"{action}Result"), result)
    meta = ET.SubElement(root, "ResponseMetadata")
    ET.SubElement(meta, "RequestId").text = request_id
    return AwsResponse(
        status=200, body=ET.tostring(root, encoding="utf-8", xml_declaration=False), content_type="text/xml"
    )


def query_json_response(action: str, result: Mapping[str, Any], request_id: str) -> AwsResponse:
    """The JSON form STS gives with ``Accept: application/json`` (what the authenticator reads)."""
    body = {f"{action}Response": {f"{action}Result": result, "ResponseMetadata": {"RequestId": request_id}}}
    return AwsResponse(status=200, body=json.dumps(body).encode(), content_type="application/json")


def json_response(data: Mapping[str, Any], request_id: str, status: int = 200) -> AwsResponse:
    return AwsResponse(
        status=status,
        body=json.dumps(data).encode(),
        content_type="application/json",
        headers={"x-amzn-RequestId": request_id},
    )


def amz_json_response(data: Mapping[str, Any], request_id: str, status: int = 200) -> AwsResponse:
    """The JSON 1.1 protocol's answer (CloudTrail, CloudWatch Logs)."""
    return AwsResponse(
        status=status,
        body=json.dumps(data).encode(),
        content_type="application/x-amz-json-1.1",
        headers={"x-amzn-RequestId": request_id},
    )


def error_response(
    error: AwsError, protocol: AwsProtocol, service: str, request_id: str, *, accept_json: bool = False
) -> AwsResponse:
    code, status = error.resolve(protocol)
    if protocol is AwsProtocol.JSON:
        return amz_json_response({"__type": code, "message": error.message}, request_id, status=status)
    if protocol is AwsProtocol.REST_JSON:
        return AwsResponse(
            status=status,
            body=json.dumps({"message": error.message}).encode(),
            content_type="application/json",
            headers={"x-amzn-ErrorType": code, "x-amzn-RequestId": request_id},
        )
    kind = "Sender" if status < 500 else "Receiver"
    if accept_json:
        body = {"Error": {"Code": code, "Message": error.message, "Type": kind}, "RequestId": request_id}
        return AwsResponse(status=status, body=json.dumps(body).encode(), content_type="application/json")
    root = ET.Element("ErrorResponse", {"xmlns": NAMESPACES.get(service, NAMESPACES["sts"])})
    err = ET.SubElement(root, "Error")
    ET.SubElement(err, "Type").text = kind
    ET.SubElement(err, "Code").text = code
    ET.SubElement(err, "Message").text = error.message
    ET.SubElement(root, "RequestId").text = request_id
    return AwsResponse(status=status, body=ET.tostring(root, encoding="utf-8"), content_type="text/xml")
