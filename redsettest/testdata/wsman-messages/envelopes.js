// Prints WS-Management envelopes for Msvm_RedundancySet built by
// @device-management-toolkit/wsman-messages, one per request asked for.
//
// usage: node envelopes.js '[{"op":"Enumerate"}, {"op":"Get","id":"..."}, ...]'
// prints a JSON array of envelope strings, in the order of the requests.
//
// Requests: Enumerate and Pull (with "context"), optionally with
// "dmtf": true for the DMTF resource URI and its __cimnamespace selector;
// Get and Delete ("id"); Put and Create ("data", the properties);
// Failover ("id", "from", "to": member names).
'use strict'

const { WSManMessageCreator, Base } = require('@device-management-toolkit/wsman-messages/WSMan')

const wmiBase = 'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/hypervcluster/v2/'
const dmtfBase = 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/'
const anonymous = 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous'
const setClass = 'Msvm_RedundancySet'

class RedundancySet extends Base {
  className = setClass
}

function creator (dmtf) {
  return new WSManMessageCreator(dmtf ? dmtfBase : wmiBase)
}

// namespaceSelector is the DMTF URI's namespace, as a header selector.
const namespaceSelector = { name: '__cimnamespace', value: 'root/hypervcluster/v2' }

function withHeader (mc, action, selector, body) {
  return mc.createXml(mc.createHeader(action, setClass, selector), body)
}

function enumerate (req) {
  const mc = creator(req.dmtf)
  if (!req.dmtf) return new RedundancySet(mc).Enumerate()
  return withHeader(mc, 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate', namespaceSelector,
    mc.createCommonBody.Enumerate())
}

function pull (req) {
  const mc = creator(req.dmtf)
  if (!req.dmtf) return new RedundancySet(mc).Pull(req.context)
  return withHeader(mc, 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull', namespaceSelector,
    mc.createCommonBody.Pull(req.context))
}

// memberEPR is the endpoint reference of a member's Msvm_ComputerSystem,
// as createBody writes nested objects.
function memberEPR (name) {
  return {
    Address: anonymous,
    ReferenceParameters: {
      ResourceURI: wmiBase + 'Msvm_ComputerSystem',
      SelectorSet: {
        Selector: [{ _: 'Msvm_ComputerSystem', $: { Name: 'CreationClassName' } }, { _: name, $: { Name: 'Name' } }]
      }
    }
  }
}

function failover (req) {
  const mc = creator(false)
  const header = mc.createHeader(wmiBase + setClass + '/Failover', setClass, { name: 'InstanceID', value: req.id })
  const body = mc.createBody('Failover_INPUT', setClass, { FailoverFrom: memberEPR(req.from), FailoverTo: memberEPR(req.to) })
  return mc.createXml(header, body)
}

const builders = {
  Enumerate: enumerate,
  Pull: pull,
  Get: (req) => new RedundancySet(creator(false)).Get({ name: 'InstanceID', value: req.id }),
  Put: (req) => new RedundancySet(creator(false)).protectedPut(req.data, true),
  Create: (req) => new RedundancySet(creator(false)).protectedCreate(req.data),
  Delete: (req) => new RedundancySet(creator(false)).protectedDelete({ name: 'InstanceID', value: req.id }),
  Failover: failover
}

const requests = JSON.parse(process.argv[2] || '[]')
const envelopes = requests.map((req) => {
  const build = builders[req.op]
  if (!build) throw new Error('unknown request ' + req.op)
  return build(req)
})
process.stdout.write(JSON.stringify(envelopes))
