"""Drive a redset server's WS-Management service with python3-winrm.

pywinrm's Protocol is made for Windows shells; its send_message posts any
envelope with the client's transport and HTTP Basic authentication, and
turns a SOAP fault into a WinRMError. This script builds plain WS-Management
envelopes for Msvm_RedundancySet, sends them through it, reads the answers
with ElementTree and prints what it learned as one JSON object.

usage: wsman_client.py ENDPOINT USER PASSWORD SET_ID FROM TO
"""

import json
import sys
import uuid
import xml.etree.ElementTree as ET

from winrm.exceptions import InvalidCredentialsError, WinRMError
from winrm.protocol import Protocol

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "n": "http://schemas.xmlsoap.org/ws/2004/09/enumeration",
    "id": "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd",
}
BASE = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/hypervcluster/v2/"
SET_URI = BASE + "Msvm_RedundancySet"
SYSTEM_URI = BASE + "Msvm_ComputerSystem"
ANONYMOUS = NS["a"] + "/role/anonymous"
TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer/"


def envelope(action, uri, body, selectors=""):
    return (
        '<s:Envelope xmlns:s="%(s)s" xmlns:a="%(a)s" xmlns:w="%(w)s" xmlns:n="%(n)s">'
        '<s:Header><a:To>http://localhost/wsman</a:To>'
        '<w:ResourceURI s:mustUnderstand="true">%(uri)s</w:ResourceURI>'
        '<a:ReplyTo><a:Address s:mustUnderstand="true">%(anon)s</a:Address></a:ReplyTo>'
        '<a:Action s:mustUnderstand="true">%(action)s</a:Action>'
        '<w:MaxEnvelopeSize s:mustUnderstand="true">153600</w:MaxEnvelopeSize>'
        '<a:MessageID>uuid:%(id)s</a:MessageID>'
        '<w:Locale xml:lang="en-US" s:mustUnderstand="false"/>'
        '<w:OperationTimeout>PT60S</w:OperationTimeout>%(sel)s</s:Header>'
        '<s:Body>%(body)s</s:Body></s:Envelope>'
    ) % dict(NS, uri=uri, anon=ANONYMOUS, action=action, id=uuid.uuid4(), sel=selectors, body=body)


def selector_set(**keys):
    sels = "".join('<w:Selector Name="%s">%s</w:Selector>' % kv for kv in keys.items())
    return "<w:SelectorSet>%s</w:SelectorSet>" % sels


def system_epr(name):
    return (
        "<a:Address>%s</a:Address><a:ReferenceParameters><w:ResourceURI>%s</w:ResourceURI>%s"
        "</a:ReferenceParameters>" % (ANONYMOUS, SYSTEM_URI, selector_set(CreationClassName="Msvm_ComputerSystem", Name=name))
    )


def send(proto, message):
    return ET.fromstring(proto.send_message(message))


def identify(proto):
    body = '<id:Identify xmlns:id="%s"/>' % NS["id"]
    msg = '<s:Envelope xmlns:s="%s"><s:Header/><s:Body>%s</s:Body></s:Envelope>' % (NS["s"], body)
    answer = send(proto, msg).find("s:Body/id:IdentifyResponse", NS)
    return {"vendor": answer.findtext("id:ProductVendor", namespaces=NS),
            "version": answer.findtext("id:ProductVersion", namespaces=NS)}


def instance_ids(items):
    return [inst.findtext("{%s}InstanceID" % SET_URI) for inst in items.findall("{%s}Msvm_RedundancySet" % SET_URI)]


def enumerate_sets(proto):
    answer = send(proto, envelope(NS["n"] + "/Enumerate", SET_URI, "<n:Enumerate/>"))
    context = answer.findtext("s:Body/n:EnumerateResponse/n:EnumerationContext", namespaces=NS)
    ids, pulls = [], 0
    while context and pulls < 100:
        body = "<n:Pull><n:EnumerationContext>%s</n:EnumerationContext><n:MaxElements>2</n:MaxElements></n:Pull>" % context
        pull = send(proto, envelope(NS["n"] + "/Pull", SET_URI, body)).find("s:Body/n:PullResponse", NS)
        pulls += 1
        ids += instance_ids(pull.find("n:Items", NS))
        context = None if pull.find("n:EndOfSequence", NS) is not None else pull.findtext("n:EnumerationContext", namespaces=NS)
    return {"ids": ids, "pulls": pulls}


def get_set(proto, set_id):
    answer = send(proto, envelope(TRANSFER + "Get", SET_URI, "", selector_set(InstanceID=set_id)))
    inst = answer.find("s:Body/{%s}Msvm_RedundancySet" % SET_URI, NS)
    return {child.tag.split("}")[1]: child.text for child in inst}


def failover(proto, set_id, source, target):
    body = '<p:Failover_INPUT xmlns:p="%s"><p:FailoverFrom>%s</p:FailoverFrom><p:FailoverTo>%s</p:FailoverTo></p:Failover_INPUT>' % (
        SET_URI, system_epr(source), system_epr(target))
    answer = send(proto, envelope(SET_URI + "/Failover", SET_URI, body, selector_set(InstanceID=set_id)))
    return answer.findtext("s:Body/{%s}Failover_OUTPUT/{%s}ReturnValue" % (SET_URI, SET_URI), namespaces=NS)


def refused(call):
    try:
        call()
    except InvalidCredentialsError as err:
        return "credentials rejected: %s" % err
    except WinRMError as err:
        return str(err)
    return "accepted"


def main(endpoint, user, password, set_id, source, target):
    proto = Protocol(endpoint, transport="basic", username=user, password=password)
    stranger = Protocol(endpoint, transport="basic", username=user, password=password + "-wrong")
    result = {
        "identify": identify(proto),
        "enumerate": enumerate_sets(proto),
        "get": get_set(proto, set_id),
        "failover": failover(proto, set_id, source, target),
        "failover_again": failover(proto, set_id, source, target),
        "get_unknown": refused(lambda: get_set(proto, set_id + "-missing")),
        "wrong_password": refused(lambda: identify(stranger)),
    }
    json.dump(result, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    main(*sys.argv[1:7])
