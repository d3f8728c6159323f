package cli

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/fleetup/fleetup/internal/aws"
	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/kube"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// TestWriteKubeconfigEKS: the file is 0600 and holds no token, only the
// exec call of `fleetup token` for the cluster, region and profile.
func TestWriteKubeconfigEKS(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "kubeconfig")
	cfg := &config.Config{ClusterName: "hub", Region: "eu-west-1"}
	kc, err := kube.New(&rest.Config{Host: "https://hub.example.test"})
	if err != nil {
		t.Fatal(err)
	}
	conn := &Conn{Kube: kc, EKS: &aws.Cluster{Name: "hub", Endpoint: "https://hub.example.test", CA: []byte("ca")}}
	if err := writeKubeconfig(path, cfg, conn, "platform"); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", fi.Mode(), err)
	}
	got, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	u := got.AuthInfos["hub"]
	if got.CurrentContext != "hub" || u == nil || u.Exec == nil || u.Token != "" {
		t.Fatalf("kubeconfig: %+v", got)
	}
	if !slices.Equal(u.Exec.Args, []string{"token", "--cluster-name", "hub", "--region", "eu-west-1", "--profile", "platform"}) {
		t.Errorf("exec args: %v", u.Exec.Args)
	}
	if c := got.Clusters["hub"]; c.Server != "https://hub.example.test" || string(c.CertificateAuthorityData) != "ca" {
		t.Errorf("cluster: %+v", c)
	}
}
