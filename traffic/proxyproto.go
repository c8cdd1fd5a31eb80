package traffic

import (
	"encoding/binary"
	"net"
)

// proxySignature opens every PROXY protocol v2 header.
const proxySignature = "\r\n\r\n\x00\r\nQUIT\n"

// proxyHeader is the PROXY protocol v2 header of a TCP connection from src
// to dst: TCP over IPv4 when both addresses are IPv4, else TCP over IPv6
// (an IPv4 address written IPv4-mapped); a LOCAL header when an address is
// missing.
func proxyHeader(src, dst *net.TCPAddr) []byte {
	b := make([]byte, 0, 16+36)
	b = append(b, proxySignature...)
	if src == nil || dst == nil || src.IP.To16() == nil || dst.IP.To16() == nil {
		return append(b, 0x20, 0x00, 0, 0) // LOCAL, unspecified, no addresses
	}
	if s4, d4 := src.IP.To4(), dst.IP.To4(); s4 != nil && d4 != nil {
		b = append(b, 0x21, 0x11, 0, 12) // PROXY, TCP over IPv4
		b = append(b, s4...)
		b = append(b, d4...)
	} else {
		b = append(b, 0x21, 0x21, 0, 36) // PROXY, TCP over IPv6
		b = append(b, src.IP.To16()...)
		b = append(b, dst.IP.To16()...)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(src.Port))
	return binary.BigEndian.AppendUint16(b, uint16(dst.Port))
}
