package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/protocol/cimxml"
)

// listenOptions are the flags of `redset listen`.
type listenOptions struct {
	addr     string
	json     bool
	certFile string
	keyFile  string
}

func newListenCmd(cf *clientFlags) *cobra.Command {
	o := &listenOptions{}
	cmd := &cobra.Command{
		Use:   "listen --addr 127.0.0.1:PORT [--json]",
		Short: "Receive CIM-XML indications and print them, one a line",
		Long: `listen is a CIM-XML indication listener: it serves ADDR (every path) and takes
the ExportIndication requests a CIM server posts to a CIM_ListenerDestinationCIMXML
whose Destination is http://ADDR/ (https with --tls-cert and --tls-key). Each
indication is answered once it is printed, as one line on standard output:

  TIME CLASS set=SET from=MEMBER to=MEMBER type=TYPE filter=NAME seq=N

(set, from and to for Msvm_FailoverIndication; source=CLASS:KEY for the lifecycle
indications), or with --json (or -o json) as one JSON object a line holding every
property and every embedded instance. Where it listens is printed on standard error.
It ends cleanly on SIGINT (Ctrl-C) or SIGTERM.`,
		Example: `  redset listen --addr 127.0.0.1:5990
  redset listen --addr 127.0.0.1:5990 --json | jq .properties.SequenceNumber`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.json = o.json || cf.output == "json"
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runListen(ctx, o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "", "address to listen on, host:port (required; port 0 picks a free one)")
	f.BoolVar(&o.json, "json", false, "print each indication as one JSON object a line")
	f.StringVar(&o.certFile, "tls-cert", "", "PEM certificate: serve https (with --tls-key)")
	f.StringVar(&o.keyFile, "tls-key", "", "PEM private key of --tls-cert")
	_ = cmd.MarkFlagRequired("addr")
	return cmd
}

// runListen serves the listener until ctx ends.
func runListen(ctx context.Context, o *listenOptions, stdout, stderr io.Writer) error {
	if (o.certFile == "") != (o.keyFile == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	p := &indicationPrinter{out: stdout, json: o.json}
	srv := &http.Server{Handler: cimxml.Listener(p.print), ReadHeaderTimeout: 10 * time.Second}
	scheme := "http"
	if o.certFile != "" {
		scheme = "https"
	}
	fmt.Fprintf(stderr, "redset listen: receiving CIM-XML indications at %s://%s/ (Ctrl-C ends)\n", scheme, ln.Addr())
	done := make(chan error, 1)
	go func() {
		if o.certFile != "" {
			done <- srv.ServeTLS(ln, o.certFile, o.keyFile)
			return
		}
		done <- srv.Serve(ln)
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// indicationPrinter writes each indication received, one at a time.
type indicationPrinter struct {
	mu   sync.Mutex
	out  io.Writer
	json bool
	now  func() time.Time // nil: time.Now
}

func (p *indicationPrinter) print(x cimxml.ExportedIndication) {
	now := time.Now
	if p.now != nil {
		now = p.now
	}
	at := now().UTC()
	var line []byte
	if p.json {
		line, _ = json.Marshal(indicationJSON(at, x)) // its values are all plain JSON
	} else {
		line = []byte(indicationLine(at, x))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_, _ = p.out.Write(append(line, '\n'))
}

// indicationLine is the one-line summary of an indication.
func indicationLine(at time.Time, x cimxml.ExportedIndication) string {
	in := x.Instance
	parts := []string{at.Format("2006-01-02T15:04:05.000Z07:00"), in.ClassName}
	if strings.EqualFold(in.ClassName, "Msvm_FailoverIndication") {
		parts = append(parts, field("set", pathKey(in, "HostedElement")),
			field("from", pathKey(in, "PreviousHostingSystem")), field("to", pathKey(in, "HostingSystem")),
			field("type", failoverType(in)))
	} else if src, ok := x.EmbeddedInstance("SourceInstance"); ok {
		parts = append(parts, field("source", src.ClassName+":"+instanceKey(src)))
	}
	parts = append(parts, field("filter", text(in, "IndicationFilterName")), field("seq", text(in, "SequenceNumber")))
	return strings.Join(parts, " ")
}

// field writes name=value, quoting a value with spaces or quotes; an
// empty value is "-".
func field(name, value string) string {
	switch {
	case value == "":
		value = "-"
	case strings.ContainsAny(value, " \t\"=\n"):
		value = strconv.Quote(value)
	}
	return name + "=" + value
}

// text is a property's value as text, "" when absent or null.
func text(in cim.Instance, name string) string {
	v, ok := in.Get(name)
	if !ok || v.IsNull() {
		return ""
	}
	return v.String()
}

// pathKey reads a property holding an object path and gives the value of
// its one key (the set's InstanceID, the member's Name), or the text as
// it is when it is no such path.
func pathKey(in cim.Instance, name string) string {
	s := text(in, name)
	p, err := cim.ParseObjectPath(s)
	if err != nil || len(p.Keys) == 0 {
		return s
	}
	for _, k := range p.Keys {
		if strings.EqualFold(k.Name, "InstanceID") || strings.EqualFold(k.Name, "Name") {
			return k.Value.String()
		}
	}
	return p.Keys[0].Value.String()
}

// failoverType names FailoverType: Unplanned, or OtherFailoverType for
// Other ("Planned").
func failoverType(in cim.Instance) string {
	switch text(in, "FailoverType") {
	case "2":
		return "Unplanned"
	case "1":
		return text(in, "OtherFailoverType")
	}
	return ""
}

// instanceKey is what names an embedded instance: its InstanceID or Name.
func instanceKey(in cim.Instance) string {
	if s := text(in, "InstanceID"); s != "" {
		return s
	}
	return text(in, "Name")
}

// listenedIndication is the JSON form of one indication.
type listenedIndication struct {
	Received   time.Time                   `json:"received"`
	Class      string                      `json:"class"`
	Properties map[string]any              `json:"properties"`
	Embedded   map[string]listenedEmbedded `json:"embedded,omitempty"`
}

type listenedEmbedded struct {
	Class      string         `json:"class"`
	Properties map[string]any `json:"properties"`
}

func indicationJSON(at time.Time, x cimxml.ExportedIndication) listenedIndication {
	out := listenedIndication{Received: at, Class: x.Instance.ClassName, Properties: propertiesJSON(x.Instance)}
	for _, e := range x.Embedded {
		if out.Embedded == nil {
			out.Embedded = map[string]listenedEmbedded{}
		}
		out.Embedded[e.Property] = listenedEmbedded{Class: e.Instance.ClassName, Properties: propertiesJSON(e.Instance)}
	}
	return out
}

func propertiesJSON(in cim.Instance) map[string]any {
	m := make(map[string]any, len(in.Properties))
	for _, p := range in.Properties {
		m[p.Name] = valueJSON(p.Value)
	}
	return m
}

// valueJSON is a CIM value as JSON: null, booleans and numbers as
// themselves (reals that JSON cannot hold as text), arrays as arrays, and
// everything else (strings, datetimes, references) as its CIM text.
func valueJSON(v cim.Value) any {
	t := v.Type()
	switch {
	case v.IsNull():
		return nil
	case v.IsArray():
		out := make([]any, v.Len())
		for i := range out {
			out[i] = valueJSON(v.Index(i))
		}
		return out
	case t == cim.Boolean:
		return v.Bool()
	case t.IsInteger() && t.IsSigned():
		return v.Sint()
	case t.IsInteger():
		return v.Uint()
	case t.IsReal() && !math.IsNaN(v.Real()) && !math.IsInf(v.Real(), 0):
		return v.Real()
	}
	return v.String()
}
