// Package kind runs fleetup's local target with sigs.k8s.io/kind as a
// library: the cluster configuration (pinned node image, the gateway's
// ports on the host), creation when missing with a wait for Ready nodes,
// the connection, and deletion on uninstall. It needs a container runtime
// (Docker, Podman or nerdctl) and says so clearly when there is none.
package kind

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/fleetup/fleetup/internal/kube"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/kind/pkg/apis/config/defaults"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/kind/pkg/cluster"
	"sigs.k8s.io/yaml"
)

// NodeImage is the kindest/node image, pinned by digest, of the kind
// library version in go.mod.
const NodeImage = defaults.Image

// Gateway ports: the gateway's NodePorts, mapped to the host's 80 and 443.
const (
	GatewayHTTPNodePort  = 30080
	GatewayHTTPSNodePort = 30443
)

// CreatedLabel is on every node of a kind cluster fleetup created.
const CreatedLabel = kube.ManagedLabel

// Options describe the cluster.
type Options struct {
	Name string
	// NodeImage overrides NodeImage.
	NodeImage string
	// ConfigFile is a kind Cluster config used instead of the generated one.
	ConfigFile string
	// Wait bounds the wait for Ready nodes after creation.
	Wait time.Duration
}

// ErrNoRuntime is returned when no container runtime can run kind nodes.
var ErrNoRuntime = errors.New("target kind needs a container runtime, and none was found (docker, podman or nerdctl on PATH, with its daemon running): install one, or use target: kubeconfig with an existing cluster")

// Config is the kind Cluster configuration for o: the file when given
// (its name replaced by o.Name), else one control-plane node on the pinned
// image with the gateway's ports on the host.
func Config(o Options) (*v1alpha4.Cluster, error) {
	c := &v1alpha4.Cluster{}
	if o.ConfigFile != "" {
		data, err := os.ReadFile(o.ConfigFile)
		if err != nil {
			return nil, fmt.Errorf("kind config: %w", err)
		}
		if err := yaml.UnmarshalStrict(data, c); err != nil {
			return nil, fmt.Errorf("kind config %s: %w", o.ConfigFile, err)
		}
		if c.Kind != "Cluster" || c.APIVersion != "kind.x-k8s.io/v1alpha4" {
			return nil, fmt.Errorf("kind config %s: kind %q apiVersion %q, expected Cluster kind.x-k8s.io/v1alpha4", o.ConfigFile, c.Kind, c.APIVersion)
		}
	} else {
		c.Kind, c.APIVersion = "Cluster", "kind.x-k8s.io/v1alpha4"
		c.Nodes = []v1alpha4.Node{{
			Role:   v1alpha4.ControlPlaneRole,
			Labels: map[string]string{"ingress-ready": "true"},
			ExtraPortMappings: []v1alpha4.PortMapping{
				{ContainerPort: GatewayHTTPNodePort, HostPort: 80, Protocol: v1alpha4.PortMappingProtocolTCP},
				{ContainerPort: GatewayHTTPSNodePort, HostPort: 443, Protocol: v1alpha4.PortMappingProtocolTCP},
			},
		}}
	}
	c.Name = o.Name
	for i := range c.Nodes {
		if c.Nodes[i].Labels == nil {
			c.Nodes[i].Labels = map[string]string{}
		}
		// Marks the cluster as fleetup's: uninstall deletes only such.
		c.Nodes[i].Labels[CreatedLabel] = "true"
	}
	image := o.NodeImage
	if image == "" && o.ConfigFile == "" {
		image = NodeImage
	}
	for i := range c.Nodes {
		if image != "" {
			c.Nodes[i].Image = image
		} else if c.Nodes[i].Image == "" {
			c.Nodes[i].Image = NodeImage
		}
	}
	v1alpha4.SetDefaultsCluster(c)
	return c, nil
}

// RuntimeError is a container runtime that is installed but not usable
// (its daemon is not running, or access is denied).
type RuntimeError struct{ Err error }

func (e *RuntimeError) Error() string {
	return fmt.Sprintf("target kind needs a working container runtime: one is installed but does not answer (%v): start it (e.g. the Docker daemon), or use target: kubeconfig with an existing cluster", e.Err)
}

// Is makes errors.Is(err, ErrNoRuntime) hold.
func (e *RuntimeError) Is(target error) bool { return target == ErrNoRuntime }

func (e *RuntimeError) Unwrap() error { return e.Err }

// Runtime reports whether kind can run nodes here: nil, ErrNoRuntime, or a
// RuntimeError.
func Runtime() error {
	_, _, err := provider()
	return err
}

// provider finds a container runtime that answers, and lists the kind
// clusters it runs.
func provider() (*cluster.Provider, []string, error) {
	opt, err := cluster.DetectNodeProvider()
	if err != nil {
		return nil, nil, ErrNoRuntime
	}
	p := cluster.NewProvider(opt)
	names, err := p.List()
	if err != nil {
		return nil, nil, &RuntimeError{Err: err}
	}
	return p, names, nil
}

// Ensure creates the cluster when it does not exist and returns how to
// reach it, and whether it was created now.
func Ensure(ctx context.Context, o Options) (*rest.Config, bool, error) {
	cfg, err := Config(o)
	if err != nil {
		return nil, false, err
	}
	p, names, err := provider()
	if err != nil {
		return nil, false, err
	}
	created := false
	if !slices.Contains(names, o.Name) {
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
		wait := o.Wait
		if wait == 0 {
			wait = 5 * time.Minute
		}
		// kind's Create takes no context; it is bounded by the wait.
		if err := p.Create(o.Name, cluster.CreateWithV1Alpha4Config(cfg), cluster.CreateWithWaitForReady(wait),
			cluster.CreateWithDisplayUsage(false), cluster.CreateWithDisplaySalutation(false)); err != nil {
			return nil, false, fmt.Errorf("kind: create cluster %s: %w", o.Name, err)
		}
		created = true
	}
	rc, err := restConfig(p, o.Name)
	return rc, created, err
}

// restConfig reads the cluster's kubeconfig from the runtime.
func restConfig(p *cluster.Provider, name string) (*rest.Config, error) {
	kc, err := p.KubeConfig(name, false)
	if err != nil {
		return nil, fmt.Errorf("kind: kubeconfig of %s: %w", name, err)
	}
	rc, err := clientcmd.RESTConfigFromKubeConfig([]byte(kc))
	if err != nil {
		return nil, fmt.Errorf("kind: kubeconfig of %s: %w", name, err)
	}
	return rc, nil
}

// Connect reaches an existing cluster; ok is false when it does not exist.
func Connect(name string) (*rest.Config, bool, error) {
	p, names, err := provider()
	if err != nil || !slices.Contains(names, name) {
		return nil, false, err
	}
	rc, err := restConfig(p, name)
	return rc, true, err
}

// Delete removes the cluster; a missing one is fine.
func Delete(name string) (bool, error) {
	p, names, err := provider()
	if err != nil || !slices.Contains(names, name) {
		return false, err
	}
	if err := p.Delete(name, ""); err != nil {
		return true, fmt.Errorf("kind: delete cluster %s: %w", name, err)
	}
	return true, nil
}
