package server

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/redset/redset/store/etcd"
)

// StoreCfg chooses the store. In the file it is either a URL string,
//
//	store: bolt:///var/lib/redset/redset.db
//	store: etcd://10.0.0.1:2379,10.0.0.2:2379/redset-prod
//
// or a mapping with the etcd settings a URL cannot carry:
//
//	store:
//	  etcd:
//	    endpoints: [10.0.0.1:2379, 10.0.0.2:2379]
//	    prefix: /redset-prod
//	    dialTimeout: 5s
//	    tls: {ca: /etc/redset/etcd-ca.pem, cert: /etc/redset/etcd.pem, key: /etc/redset/etcd-key.pem}
//	    username: redset
//	    password: secret
//
// Left out, the store is the bbolt file redset.db in the data directory.
type StoreCfg struct {
	URL  string      // the string form
	Etcd *EtcdConfig // the mapping form
}

// IsZero tells whether the store is left out (the data directory's
// redset.db).
func (sc StoreCfg) IsZero() bool { return sc.URL == "" && sc.Etcd == nil }

// Equal tells whether two settings name the same store the same way.
func (sc StoreCfg) Equal(o StoreCfg) bool {
	switch {
	case sc.URL != o.URL || (sc.Etcd == nil) != (o.Etcd == nil):
		return false
	case sc.Etcd == nil:
		return true
	}
	a, b := *sc.Etcd, *o.Etcd
	return slices.Equal(a.Endpoints, b.Endpoints) && a.Prefix == b.Prefix && a.DialTimeout == b.DialTimeout &&
		a.TLS == b.TLS && a.Username == b.Username && a.Password == b.Password
}

// EtcdConfig is the mapping form of an etcd store.
type EtcdConfig struct {
	Endpoints   []string `yaml:"endpoints"`   // host:port or http(s)://host:port
	Prefix      string   `yaml:"prefix"`      // key prefix, default /redset/
	DialTimeout Dur      `yaml:"dialTimeout"` // how long the start waits for etcd
	TLS         EtcdTLS  `yaml:"tls"`
	Username    string   `yaml:"username"`
	Password    string   `yaml:"password"`
}

// EtcdTLS names PEM files: the CA that signed etcd's certificates, and
// this client's certificate and key.
type EtcdTLS struct {
	CA   string `yaml:"ca"`
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// UnmarshalYAML reads the URL string or the mapping; unknown fields are
// errors, as elsewhere in the file.
func (sc *StoreCfg) UnmarshalYAML(n *yaml.Node) error {
	switch {
	case n.Kind == yaml.ScalarNode && n.Tag == "!!null":
		*sc = StoreCfg{}
		return nil
	case n.Kind == yaml.ScalarNode:
		*sc = StoreCfg{URL: n.Value}
		return nil
	case n.Kind != yaml.MappingNode:
		return fmt.Errorf("line %d: store is a URL (bolt:///path, etcd://host:port/prefix) or a mapping with etcd settings", n.Line)
	}
	if err := knownKeys(n, "StoreCfg", "etcd"); err != nil {
		return err
	}
	var m struct {
		Etcd *EtcdConfig `yaml:"etcd"`
	}
	if err := n.Decode(&m); err != nil {
		return err
	}
	if m.Etcd == nil {
		return fmt.Errorf("line %d: the store mapping needs etcd settings, as in etcd: {endpoints: [host:2379]}", n.Line)
	}
	*sc = StoreCfg{Etcd: m.Etcd}
	return nil
}

// UnmarshalYAML refuses unknown fields, which Node.Decode would skip.
func (ec *EtcdConfig) UnmarshalYAML(n *yaml.Node) error {
	if err := knownKeys(n, "EtcdConfig", "endpoints", "prefix", "dialTimeout", "tls", "username", "password"); err != nil {
		return err
	}
	type plain EtcdConfig
	return n.Decode((*plain)(ec))
}

// UnmarshalYAML refuses unknown fields, which Node.Decode would skip.
func (et *EtcdTLS) UnmarshalYAML(n *yaml.Node) error {
	if err := knownKeys(n, "EtcdTLS", "ca", "cert", "key"); err != nil {
		return err
	}
	type plain EtcdTLS
	return n.Decode((*plain)(et))
}

// knownKeys fails on the first key of a mapping not in known, in the
// words of the YAML decoder's own unknown-field error, so that it is
// reported like any other.
func knownKeys(n *yaml.Node, typ string, known ...string) error {
	if n.Kind != yaml.MappingNode {
		return nil // Decode reports the type mismatch
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !slices.Contains(known, k.Value) {
			return fmt.Errorf("line %d: field %s not found in type server.%s", k.Line, k.Value, typ)
		}
	}
	return nil
}

func (c *Config) validateStore() error {
	if c.Store.Etcd != nil {
		return c.validateEtcd(c.Store.Etcd)
	}
	u := c.Store.URL
	switch {
	case u == "":
		return nil
	case strings.HasPrefix(u, "bolt://"):
		if strings.TrimPrefix(u, "bolt://") == "" {
			return c.fieldErr("store", "bolt:// needs a file path, as in bolt:///var/lib/redset/redset.db")
		}
		return nil
	case strings.HasPrefix(u, etcd.Scheme):
		if _, err := etcd.ParseURL(u); err != nil {
			return c.fieldErr("store", "%v", err)
		}
		return nil
	}
	return c.fieldErr("store", "%q is neither bolt:///path nor etcd://host:port[,host:port...][/prefix]", u)
}

func (c *Config) validateEtcd(ec *EtcdConfig) error {
	var errs []error
	if len(ec.Endpoints) == 0 {
		errs = append(errs, c.fieldErr("store.etcd.endpoints", "at least one etcd endpoint (host:port) is needed"))
	}
	for i, ep := range ec.Endpoints {
		if err := etcd.CheckEndpoint(ep); err != nil {
			errs = append(errs, c.fieldErr(fmt.Sprintf("store.etcd.endpoints[%d]", i), "%v", err))
		}
	}
	if ec.DialTimeout < 0 {
		errs = append(errs, c.fieldErr("store.etcd.dialTimeout", "must not be negative"))
	}
	if (ec.TLS.Cert == "") != (ec.TLS.Key == "") {
		errs = append(errs, c.fieldErr("store.etcd.tls", "cert and key go together"))
	}
	if (ec.Username == "") != (ec.Password == "") {
		errs = append(errs, c.fieldErr("store.etcd.username", "username and password go together"))
	}
	return errors.Join(errs...)
}

// etcdOptions tells whether the configuration names an etcd store, and
// how to reach it.
func etcdOptions(sc StoreCfg) (etcd.Options, bool, error) {
	if ec := sc.Etcd; ec != nil {
		return etcd.Options{
			Endpoints: ec.Endpoints, Prefix: ec.Prefix, DialTimeout: ec.DialTimeout.D(),
			TLS:      etcd.TLSFiles{CA: ec.TLS.CA, Cert: ec.TLS.Cert, Key: ec.TLS.Key},
			Username: ec.Username, Password: ec.Password,
		}, true, nil
	}
	if !strings.HasPrefix(sc.URL, etcd.Scheme) {
		return etcd.Options{}, false, nil
	}
	opts, err := etcd.ParseURL(sc.URL)
	return opts, true, err
}
