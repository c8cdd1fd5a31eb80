package server

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/redset/redset/cluster"
)

// ClusterCfg is the cluster section: how this server joins the others on
// one etcd store. With a bolt store only Name is used (the server runs on
// its own and always leads).
type ClusterCfg struct {
	Name         string `yaml:"name"`         // unique in the cluster; default: the host name
	Advertise    string `yaml:"advertise"`    // URL peers forward writes to; default: the first listener's
	LeaseTTL     Dur    `yaml:"leaseTTL"`     // default 3s, at least 1s
	Secret       string `yaml:"secret"`       // shared by every server of the cluster
	SecretFile   string `yaml:"secretFile"`   // or a file holding it
	HealthQuorum string `yaml:"healthQuorum"` // majority (default), any or leader
}

// MinLeaseTTL is the shortest lease a cluster accepts: a shorter one would
// let a busy server lose leadership for nothing.
const MinLeaseTTL = time.Second

func (c *Config) defaultCluster() {
	if c.Cluster.Name == "" {
		if h, err := os.Hostname(); err == nil {
			c.Cluster.Name = h
		}
	}
	if c.Cluster.LeaseTTL == 0 {
		c.Cluster.LeaseTTL = Dur(cluster.DefaultLeaseTTL)
	}
	setDefault(&c.Cluster.HealthQuorum, cluster.QuorumMajority)
}

// clustered tells whether the configuration runs a cluster: an etcd store.
func (c *Config) clustered() bool {
	_, ok, _ := etcdOptions(c.Store)
	return ok
}

// validateCluster checks the cluster section; with an etcd store that is
// itself invalid (storeOK false) only the name is checked, so that one
// mistake is reported once.
func (c *Config) validateCluster(storeOK bool) error {
	cc := c.Cluster
	var errs []error
	if strings.ContainsFunc(cc.Name, func(r rune) bool { return r <= ' ' || r == '/' }) {
		errs = append(errs, c.fieldErr("cluster.name", "%q must not contain spaces, control characters or slashes", cc.Name))
	}
	if !c.clustered() || !storeOK {
		return errors.Join(errs...) // the rest is ignored with a bolt store
	}
	if cc.Name == "" {
		errs = append(errs, c.fieldErr("cluster.name", "a name is needed (the host name is unknown)"))
	}
	if cc.Advertise != "" {
		if u, err := url.Parse(cc.Advertise); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, c.fieldErr("cluster.advertise", "%q is not an http(s)://host:port URL", cc.Advertise))
		}
	}
	if cc.LeaseTTL.D() < MinLeaseTTL {
		errs = append(errs, c.fieldErr("cluster.leaseTTL", "%v is below the minimum of %v", cc.LeaseTTL.D(), MinLeaseTTL))
	}
	switch {
	case cc.Secret != "" && cc.SecretFile != "":
		errs = append(errs, c.fieldErr("cluster.secret", "secret and secretFile exclude each other"))
	case cc.Secret == "" && cc.SecretFile == "":
		errs = append(errs, c.fieldErr("cluster.secret", "an etcd store needs a cluster secret (secret or secretFile) shared by every server"))
	}
	switch cc.HealthQuorum {
	case cluster.QuorumMajority, cluster.QuorumAny, cluster.QuorumLeader:
	default:
		errs = append(errs, c.fieldErr("cluster.healthQuorum", "%q is not majority, any or leader", cc.HealthQuorum))
	}
	return errors.Join(errs...)
}

// clusterSecret returns the shared secret, read from secretFile when
// given (surrounding white space trimmed). Empty with a bolt store.
func (c *Config) clusterSecret() ([]byte, error) {
	cc := c.Cluster
	if !c.clustered() {
		return nil, nil
	}
	if cc.SecretFile == "" {
		return []byte(cc.Secret), nil
	}
	data, err := os.ReadFile(cc.SecretFile)
	if err != nil {
		fe := c.fieldErr("cluster.secretFile", "%v", err)
		fe.Err = err
		return nil, fe
	}
	secret := strings.TrimSpace(string(data))
	if secret == "" {
		return nil, c.fieldErr("cluster.secretFile", "%s is empty", cc.SecretFile)
	}
	return []byte(secret), nil
}

// advertiseURL is the URL peers reach this server at: the configured one,
// else the first listener's address (the host name standing in for an
// unspecified address such as 0.0.0.0).
func (c *Config) advertiseURL(firstListener string, tls bool) string {
	if c.Cluster.Advertise != "" {
		return strings.TrimRight(c.Cluster.Advertise, "/")
	}
	scheme := "http"
	if tls {
		scheme = "https"
	}
	host, port, err := net.SplitHostPort(firstListener)
	if err != nil {
		return fmt.Sprintf("%s://%s", scheme, firstListener)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		if h, err := os.Hostname(); err == nil {
			host = h
		}
	}
	return fmt.Sprintf("%s://%s", scheme, net.JoinHostPort(host, port))
}
