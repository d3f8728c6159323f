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

	pki := filepath.Join(e.Dir, "pki")
	if err := os.MkdirAll(pki, 0o700); err != nil {
		return err
	}
	if err := writeServiceAccountKeys(pki); err != nil {
		return err
	}
	e.Token = randomHex(16)
	tokens := filepath.Join(pki, "tokens.csv")
	if err := os.WriteFile(tokens, []byte(e.Token+`,admin,admin,"system:masters"`+"\n"), 0o600); err != nil {
		return err
	}
	port := e.ports["apiserver"]
	e.Server = "https://" + addr(port)
	if _, err := e.run("kube-apiserver", e.bins.APIServer, []string{
		"--etcd-servers=" + etcdURL,
		"--cert-dir=" + pki,
		"--secure-port=" + strconv.Itoa(port),
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
		"--service-cluster-ip-range=10.0.0.0/24",
		"--service-account-key-file=" + filepath.Join(pki, "sa.pub"),
		"--service-account-signing-key-file=" + filepath.Join(pki, "sa.key"),
		"--service-account-issuer=https://kubernetes.default.svc",
		"--token-auth-file=" + tokens,
		"--authorization-mode=RBAC",
		"--allow-privileged=true",
		"--profiling=false",
	}, nil); err != nil {
		return err
	}
	if err := e.waitHTTP(ctx, "kube-apiserver", e.Server+"/readyz", e.Token, func(body string) bool { return body == "ok" }); err != nil {
		return err
	}
	ca, err := os.ReadFile(filepath.Join(pki, "apiserver.crt"))
	if err != nil {
		return fmt.Errorf("read API server certificate: %w", err)
	}
	e.CACert = ca
	if err := e.writeKubeconfig(); err != nil {
		return err
	}

	common := []string{"--kubeconfig=" + e.Kubeconfig, "--authentication-kubeconfig=" + e.Kubeconfig, "--authorization-kubeconfig=" + e.Kubeconfig, "--leader-elect=false", "--bind-address=127.0.0.1"}
	if _, err := e.run("kube-controller-manager", e.bins.ControllerManager, append(common,
		"--secure-port="+strconv.Itoa(e.ports["kcm"]),
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
		return err
	}
	if _, err := e.run("kube-scheduler", e.bins.Scheduler, append(common, "--secure-port="+strconv.Itoa(e.ports["scheduler"])), nil); err != nil {
		return err
	}
	return nil
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
