package kind_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/kind"
)

func TestGeneratedConfig(t *testing.T) {
	c, err := kind.Config(kind.Options{Name: "hub"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "hub" || len(c.Nodes) != 1 || c.Nodes[0].Role != "control-plane" {
		t.Fatalf("config: %+v", c)
	}
	n := c.Nodes[0]
	if n.Image != kind.NodeImage || !strings.Contains(n.Image, "@sha256:") {
		t.Errorf("node image %q is not the pinned one", n.Image)
	}
	ports := map[int32]int32{}
	for _, m := range n.ExtraPortMappings {
		ports[m.HostPort] = m.ContainerPort
	}
	if ports[80] != kind.GatewayHTTPNodePort || ports[443] != kind.GatewayHTTPSNodePort {
		t.Errorf("gateway port mappings: %v", n.ExtraPortMappings)
	}
	if n.Labels[kind.CreatedLabel] != "true" {
		t.Errorf("node labels %v lack the created-by-fleetup mark", n.Labels)
	}
	if c.Networking.IPFamily == "" {
		t.Error("kind's defaults were not applied")
	}
	c2, _ := kind.Config(kind.Options{Name: "hub", NodeImage: "kindest/node:v1.34.0"})
	if c2.Nodes[0].Image != "kindest/node:v1.34.0" {
		t.Errorf("node image override: %q", c2.Nodes[0].Image)
	}
}

func TestConfigFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "kind.yaml")
	os.WriteFile(file, []byte("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nname: ignored\nnodes:\n  - role: control-plane\n  - role: worker\n    image: kindest/node:v1.33.0\n"), 0o644)
	c, err := kind.Config(kind.Options{Name: "hub", ConfigFile: file})
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "hub" || len(c.Nodes) != 2 || c.Nodes[0].Image != kind.NodeImage || c.Nodes[1].Image != "kindest/node:v1.33.0" {
		t.Errorf("config from file: name %s, nodes %+v", c.Name, c.Nodes)
	}
	os.WriteFile(file, []byte("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodez: []\n"), 0o644)
	if _, err := kind.Config(kind.Options{Name: "hub", ConfigFile: file}); err == nil || !strings.Contains(err.Error(), "nodez") {
		t.Errorf("unknown field: %v", err)
	}
	os.WriteFile(file, []byte("kind: Config\napiVersion: v1\n"), 0o644)
	if _, err := kind.Config(kind.Options{Name: "hub", ConfigFile: file}); err == nil || !strings.Contains(err.Error(), "expected Cluster") {
		t.Errorf("wrong kind: %v", err)
	}
}

// TestNoRuntime: without Docker, Podman or nerdctl, creating, connecting
// and deleting all say what is missing and what to do.
func TestNoRuntime(t *testing.T) {
	if kind.Runtime() == nil {
		t.Skip("this machine has a working container runtime; the missing-runtime error cannot be observed")
	}
	_, _, err := kind.Ensure(context.Background(), kind.Options{Name: "hub"})
	if !errors.Is(err, kind.ErrNoRuntime) || !strings.Contains(err.Error(), "target: kubeconfig") {
		t.Errorf("Ensure: %v", err)
	}
	if _, _, err := kind.Connect("hub"); !errors.Is(err, kind.ErrNoRuntime) {
		t.Errorf("Connect: %v", err)
	}
	if _, err := kind.Delete("hub"); !errors.Is(err, kind.ErrNoRuntime) {
		t.Errorf("Delete: %v", err)
	}
}
