package cimxml

import "net/http"

// Writes reports, from its headers alone, whether a CIM-XML request may
// change something: an extrinsic method call (CIMMethod names no
// intrinsic method, such as Failover) or ModifyInstance, CreateInstance,
// DeleteInstance or SetProperty. Intrinsic reads (GetInstance, the
// enumerations, queries, pulls) do not. A request whose headers are not
// those of a CIM-XML call, or that lacks CIMMethod, counts as a write:
// whoever answers writes will also judge it.
func Writes(r *http.Request) bool {
	hd, perr := readHeaders(r)
	if perr != nil || !hd.hasMethod {
		return true
	}
	op, intrinsic := findOperation(hd.method)
	if !intrinsic {
		return true // an extrinsic method, or a write not served (SetProperty)
	}
	return op.IsWrite()
}
