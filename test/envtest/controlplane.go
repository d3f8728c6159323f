package envtest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// startControlPlane runs etcd, kube-apiserver, kube-controller-manager and
// kube-scheduler, and writes the admin kubeconfig.
func (e *Env) startControlPlane(ctx context.Context) error {
	etcdURL := "http://" + addr(e.ports["etcd"])
	if _, err := e.run("etcd", e.bins.Etcd, []string{
		"--data-dir", filepath.Join(e.Dir, "etcd"),
		"--listen-client-urls", etcdURL, "--advertise-client-urls", etcdURL,
		"--listen-peer-urls", "http://" + addr(e.ports["etcd-peer"]),
		"--initial-advertise-peer-urls", "http://" + addr(e.ports["etcd-peer"]),
		"--initial-cluster", "default=http://" + addr(e.ports["etcd-peer"]),
		"--listen-metrics-urls", "", "--log-level", "warn",
		// Test data is thrown away: skip fsync for speed.
		"--unsafe-no-fsync",
	}, nil); err != nil {
		return err
	}
	if err := e.waitHTTP(ctx, "etcd", etcdURL+"/health", "", func(body string) bool { return strings.Contains(body, `"health":"true"`) }); err != nil {
		return err
	}

	c, err := e.startCluster(ctx, clusterPorts{apiserver: e.ports["apiserver"], kcm: e.ports["kcm"], scheduler: e.ports["scheduler"], kwok: e.ports["kwok"]}, "", "")
	if err != nil {
		return err
	}
	e.hub = c
	e.Server, e.CACert, e.Token = c.Server, c.CACert, c.Token
	e.Kubeconfig, e.Config, e.Client = c.Kubeconfig, c.Config, c.Client
	return nil
}

// clusterPorts are the ports of one control plane's components.
type clusterPorts struct{ apiserver, kcm, scheduler, kwok int }

// startCluster runs kube-apiserver (on the environment's etcd, under
// etcdPrefix when given), kube-controller-manager and kube-scheduler, and
// writes the admin kubeconfig. suffix names the processes and directory of
// a cluster besides the first ("" for the first).
func (e *Env) startCluster(ctx context.Context, ports clusterPorts, suffix, etcdPrefix string) (*Cluster, error) {
	name := func(component string) string {
		if suffix == "" {
			return component
		}
		return component + "-" + suffix
	}
	dir := e.Dir
	if suffix != "" {
		dir = filepath.Join(e.Dir, "clusters", suffix)
	}
	pki := filepath.Join(dir, "pki")
	if err := os.MkdirAll(pki, 0o700); err != nil {
		return nil, err
	}
	if err := writeServiceAccountKeys(pki); err != nil {
		return nil, err
	}
	c := &Cluster{Name: suffix, Token: randomHex(16), ports: ports}
	tokens := filepath.Join(pki, "tokens.csv")
	if err := os.WriteFile(tokens, []byte(c.Token+`,admin,admin,"system:masters"`+"\n"), 0o600); err != nil {
		return nil, err
	}
	c.Server = "https://" + addr(ports.apiserver)
	args := []string{
		"--etcd-servers=http://" + addr(e.ports["etcd"]),
		"--cert-dir=" + pki,
		"--secure-port=" + strconv.Itoa(ports.apiserver),
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
		"--service-cluster-ip-range=10.0.0.0/24",
		"--service-account-key-file=" + filepath.Join(pki, "sa.pub"),
		"--service-account-signing-key-file=" + filepath.Join(pki, "sa.key"),
		"--service-account-issuer=https://kubernetes.default.svc",
		"--token-auth-file=" + tokens,
		"--authorization-mode=RBAC",
		"--allow-privileged=true",
		"--profiling=false",
	}
	if etcdPrefix != "" {
		// Its own keys in the shared etcd: a cluster of its own.
		args = append(args, "--etcd-prefix="+etcdPrefix)
	}
	if _, err := e.run(name("kube-apiserver"), e.bins.APIServer, args, nil); err != nil {
		return nil, err
	}
	if err := e.waitHTTP(ctx, name("kube-apiserver"), c.Server+"/readyz", c.Token, func(body string) bool { return body == "ok" }); err != nil {
		return nil, err
	}
	ca, err := os.ReadFile(filepath.Join(pki, "apiserver.crt"))
	if err != nil {
		return nil, fmt.Errorf("read API server certificate: %w", err)
	}
	c.CACert = ca
	if err := c.writeKubeconfig(filepath.Join(dir, "kubeconfig")); err != nil {
		return nil, err
	}

	common := []string{"--kubeconfig=" + c.Kubeconfig, "--authentication-kubeconfig=" + c.Kubeconfig, "--authorization-kubeconfig=" + c.Kubeconfig, "--leader-elect=false", "--bind-address=127.0.0.1"}
	if _, err := e.run(name("kube-controller-manager"), e.bins.ControllerManager, append(common,
		"--secure-port="+strconv.Itoa(ports.kcm),
		"--service-account-private-key-file="+filepath.Join(pki, "sa.key"),
		"--root-ca-file="+filepath.Join(pki, "apiserver.crt"),
		"--use-service-account-credentials=false",
		// The node lifecycle controller must run (it lifts the not-ready
		// taint), but with a long grace so late kwok heartbeats never turn
		// nodes Unknown and pods NotReady.
		"--controllers=*,-nodeipam,-ttl,-bootstrapsigner,-tokencleaner",
		"--node-monitor-grace-period=1h",
		"--concurrent-deployment-syncs=10", "--concurrent-replicaset-syncs=10",
	), nil); err != nil {
		return nil, err
	}
	if _, err := e.run(name("kube-scheduler"), e.bins.Scheduler, append(common, "--secure-port="+strconv.Itoa(ports.scheduler)), nil); err != nil {
		return nil, err
	}
	return c, nil
}

func writeServiceAccountKeys(dir string) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	priv := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return err
	}
	pub := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	if err := os.WriteFile(filepath.Join(dir, "sa.key"), priv, 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "sa.pub"), pub, 0o644)
}

// waitHTTP polls a health endpoint until ok(body) or ctx ends. Processes
// have no watch API to offer before they serve; a bounded poll of their
// own readiness endpoint is the condition, not a sleep.
func (e *Env) waitHTTP(ctx context.Context, what, url, token string, ok func(body string) bool) error {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		// The API server generates its certificate at start; it is read
		// (and trusted) only once the server is up.
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // loopback health probe
		Proxy:           nil,
	}}
	var last string
	err := wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		if err := e.checkAlive(); err != nil {
			return false, err
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			last = err.Error()
			return false, nil
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		last = fmt.Sprintf("HTTP %d %s", resp.StatusCode, body)
		return resp.StatusCode == http.StatusOK && ok(string(body)), nil
	})
	if err != nil {
		return fmt.Errorf("waiting for %s at %s: %w (last: %s)", what, url, err, last)
	}
	return nil
}

// waitTCP waits until something accepts connections on port.
func (e *Env) waitTCP(ctx context.Context, what string, port int) error {
	var last error
	err := wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		if err := e.checkAlive(); err != nil {
			return false, err
		}
		d := net.Dialer{Timeout: time.Second}
		c, err := d.DialContext(ctx, "tcp", addr(port))
		if err != nil {
			last = err
			return false, nil
		}
		c.Close()
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for %s on %s: %w (last: %v)", what, addr(port), err, last)
	}
	return nil
}
