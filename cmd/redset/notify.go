package main

import (
	"log/slog"
	"net"
	"os"
	"strings"
)

// notifySystemd tells the service manager about the server's state when
// redset runs as a systemd service of Type=notify (NOTIFY_SOCKET is set):
// READY=1 once serving, RELOADING=1 during a reload, STOPPING=1 at the
// end (sd_notify(3)). Outside systemd it does nothing.
func notifySystemd(log *slog.Logger, state string) {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return
	}
	if name, ok := strings.CutPrefix(path, "@"); ok {
		path = "\x00" + name // an abstract socket
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err == nil {
		_, err = conn.Write([]byte(state))
		conn.Close()
	}
	if err != nil {
		log.Warn("could not notify systemd", "state", state, "err", err)
	}
}
