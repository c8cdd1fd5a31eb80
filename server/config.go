package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/redset/redset/engine"
	"go.yaml.in/yaml/v3"
)

// Default listeners: CIM-XML's and WS-Management's conventional HTTP ports.
// Every listener serves every path.
var DefaultListen = []string{"127.0.0.1:5988", "127.0.0.1:5985"}

// Config is everything a redset server is told. The zero Config plus Default
// runs a server with an empty store in ./redset-data.
type Config struct {
	Listen  []string   `yaml:"listen"`
	Data    string     `yaml:"data"`    // data directory of the embedded store
	Store   StoreCfg   `yaml:"store"`   // bolt:///path/redset.db, etcd://host:2379,host:2379/prefix, or etcd settings
	OrgID   string     `yaml:"orgID"`   // OrgID of InstanceIDs this server makes
	TLS     TLSConfig  `yaml:"tls"`     // certificate and key turn every listener into HTTPS
	Log     LogConfig  `yaml:"log"`     // structured logs
	Audit   AuditCfg   `yaml:"audit"`   // where the audit stream goes
	Users   []User     `yaml:"users"`   // besides the bootstrap admin
	Auth    AuthCfg    `yaml:"auth"`    // the login throttle and the bound on bcrypt work
	History int        `yaml:"history"` // events kept in the persisted history
	Limits  Limits     `yaml:"limits"`
	Metrics MetricsCfg `yaml:"metrics"` // who may read /metrics
	// TrustedProxies are the reverse proxies (addresses or CIDR
	// prefixes) whose X-Forwarded-For header names the client; empty:
	// the header is ignored.
	TrustedProxies []string  `yaml:"trustedProxies"`
	Health         HealthCfg `yaml:"health"`
	Members        []Member  `yaml:"members"`
	Sets           []Set     `yaml:"sets"`
	Hooks          []Hook    `yaml:"hooks"`
	Demo           bool      `yaml:"demo"` // start the demo members and sets (on an empty store)
	// DemoFrontends are where the demo's frontends listen.
	DemoFrontends DemoFrontends `yaml:"demoFrontends"`
	Cluster       ClusterCfg    `yaml:"cluster"` // with an etcd store: how this server joins the others
	// Indications: how indications are delivered to subscribers.
	Indications IndicationDelivery `yaml:"indications"`

	// AdminPassword is the bootstrap administrator's password
	// (REDSET_ADMIN_PASSWORD); not read from the file.
	AdminPassword string `yaml:"-"`

	lines lineIndex // where each field was written, for error messages
	file  string
}

// DemoFrontends are the listen addresses of the frontends of demo-web and
// demo-lb; defaults DefaultDemoWeb and DefaultDemoLB.
type DemoFrontends struct {
	Web string `yaml:"web"`
	LB  string `yaml:"lb"`
}

// TLSConfig names PEM files.
type TLSConfig struct {
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// LogConfig chooses the log format ("text" or "json") and level.
type LogConfig struct {
	Format string `yaml:"format"`
	Level  string `yaml:"level"`
}

// AuditCfg says where the audit stream goes: every change and every
// refused change with who made it (user, address, protocol) and the
// outcome. With File set, one JSON object per line is appended to that
// file (created 0600); without it, the entries go to the main log with
// audit=true.
type AuditCfg struct {
	File string `yaml:"file"`
}

// User is a configured account. PasswordHash is a bcrypt hash
// (`redset hash-password` prints one).
type User struct {
	Name         string `yaml:"name"`
	Role         string `yaml:"role"`
	PasswordHash string `yaml:"passwordHash"`
}

// Limits cap what one client or one request may cost. Zero fields take
// the defaults (see Default); every field is checked by Validate.
type Limits struct {
	MaxBodyBytes           int64 `yaml:"maxBodyBytes"`           // request bodies, every path and protocol (413 beyond)
	MaxDrainBytes          int64 `yaml:"maxDrainBytes"`          // of a refused body, read and dropped so the client reads the answer
	MaxEnumerations        int   `yaml:"maxEnumerations"`        // open pull / WS-Man enumeration contexts
	MaxEnumerationsPerUser int   `yaml:"maxEnumerationsPerUser"` // of those, opened by one user
	EnumerationExpiry      Dur   `yaml:"enumerationExpiry"`      // idle enumeration contexts expire
	MaxConnsPerAddress     int   `yaml:"maxConnsPerAddress"`     // open connections from one client address
	MaxOperations          int   `yaml:"maxOperations"`          // CIM-XML, WS-Man and JSON API requests served at once
	MaxReads               int   `yaml:"maxReads"`               // reads worked on at once; changes never wait (see admission)
	HeaderTimeout          Dur   `yaml:"headerTimeout"`          // to read a request's headers
	BodyTimeout            Dur   `yaml:"bodyTimeout"`            // to read a request's body
	WriteTimeout           Dur   `yaml:"writeTimeout"`           // to serve a request and write its answer (event streams excepted)
	IdleTimeout            Dur   `yaml:"idleTimeout"`            // a kept-alive connection waits for its next request
}

// MetricsCfg says who may read /metrics: by default a user with the reader
// role; Public opens them to anyone who can reach the server.
type MetricsCfg struct {
	Public bool `yaml:"public"`
}

// HealthCfg sets the probe scheduler's defaults.
type HealthCfg struct {
	Interval Dur `yaml:"interval"` // default probe interval
	Timeout  Dur `yaml:"timeout"`  // default probe timeout
	Rise     int `yaml:"rise"`     // default successes that count a recovery
	Fall     int `yaml:"fall"`     // default failures that count a failure
	Workers  int `yaml:"workers"`  // probes running at once
}

// Member declares a managed element and how its health is observed.
type Member struct {
	Name        string            `yaml:"name"`
	DisplayName string            `yaml:"displayName"`
	Labels      map[string]string `yaml:"labels"`
	Probe       Probe             `yaml:"probe"`
	// Address is host:port where frontends send the member's connections;
	// empty: its tcp probe's address or its http probe's host and port.
	Address string `yaml:"address"`
}

// Probe says how to observe a member. It is the engine's Probe, the same
// shape the JSON API reads and writes: type (tcp, http, exec, heartbeat),
// the type's fields (address; url, expect, bodyMatch, bodyRegexp, headers,
// insecureSkipVerify, caFile; command, env), interval, timeout, ttl, rise
// and fall, durations written like 500ms or 2s.
type Probe = engine.Probe

// Set declares a redundancy set with its Msvm_RedundancySet properties,
// its policy and its members' roles.
type Set struct {
	ID                        string      `yaml:"id"` // the LocalID; the InstanceID is OrgID:id
	InstanceID                string      `yaml:"instanceID"`
	Caption                   string      `yaml:"caption"`
	Description               string      `yaml:"description"`
	ElementName               string      `yaml:"elementName"`
	TypeOfSet                 []uint16    `yaml:"typeOfSet"`
	OtherTypeOfSet            []string    `yaml:"otherTypeOfSet"`
	MinNumberNeeded           uint32      `yaml:"minNumberNeeded"`
	MaxNumberSupported        uint32      `yaml:"maxNumberSupported"`
	VendorIdentifyingInfo     string      `yaml:"vendorIdentifyingInfo"`
	LoadBalanceAlgorithm      *uint16     `yaml:"loadBalanceAlgorithm"`
	OtherLoadBalanceAlgorithm string      `yaml:"otherLoadBalanceAlgorithm"`
	Policy                    Policy      `yaml:"policy"`
	Members                   []SetMember `yaml:"members"`
	// Frontend is the set's traffic address; absent: none.
	Frontend *Frontend `yaml:"frontend"`
}

// Frontend is a set's frontend, the engine's Frontend, the same shape the
// JSON API reads and writes: listen (host:port), mode (tcp), drain (absent:
// connections to a member that left service stay open; 0s: closed at once),
// proxyProtocol (v2 or off), maxConnections, dialTimeout and
// passiveFailures.
type Frontend = engine.Frontend

// Policy is how the set acts by itself.
type Policy struct {
	AutoFailover *bool `yaml:"autoFailover"` // default true
	MaxFailovers int   `yaml:"maxFailovers"` // flap guard: automatic failovers per period
	Period       Dur   `yaml:"period"`
	AutoReturn   bool  `yaml:"autoReturn"` // drained members return when healthy (N+1, Load Balanced)
	Failback     bool  `yaml:"failback"`
}

// SetMember is a member's role in a set: "inService", "spare" or
// "drained"; spares have a spareStatus ("hot"/"cold"), failoverSupported
// ("automatic"/"manual"/"both") and a priority (higher is preferred).
type SetMember struct {
	Name              string `yaml:"name"`
	Role              string `yaml:"role"`
	SpareStatus       string `yaml:"spareStatus"`
	FailoverSupported string `yaml:"failoverSupported"`
	Priority          int    `yaml:"priority"`
}

// Hook runs on events: "exec" (command with REDSET_* environment) or
// "webhook" (POST JSON). On lists the event kinds ("failover", "status");
// Pre hooks run before a failover commits and may veto it.
type Hook struct {
	Name    string   `yaml:"name"`
	On      []string `yaml:"on"`
	Pre     bool     `yaml:"pre"`
	Exec    []string `yaml:"exec"`
	Webhook string   `yaml:"webhook"`
	Timeout Dur      `yaml:"timeout"`
	Retries int      `yaml:"retries"`
	Queue   int      `yaml:"queue"` // events the hook may have waiting (default 16384)
}

// Dur is a time.Duration written as "1s", "250ms" in YAML.
type Dur time.Duration

// UnmarshalYAML reads a Go duration string.
func (d *Dur) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration like 500ms, 2s or 1m", n.Line, n.Value)
	}
	*d = Dur(v)
	return nil
}

// D returns the duration.
func (d Dur) D() time.Duration { return time.Duration(d) }

// LoadConfig reads a YAML configuration file. Unknown fields are errors;
// every error names the file, the line and the field.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return ParseConfig(path, data)
}

// ParseConfig parses configuration text; name is used in error messages.
func ParseConfig(name string, data []byte) (Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return Config{}, yamlError(name, nil, err)
	}
	cfg := Config{file: name, lines: indexLines(&root)}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, yamlError(name, cfg.lines, err)
	}
	return cfg, nil
}
