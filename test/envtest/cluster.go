package envtest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fleetup/fleetup/internal/kube"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Cluster is one Kubernetes control plane of the environment, with kwok
// nodes: the hub, or a workload cluster (see Workload).
type Cluster struct {
	// Name is "" for the hub.
	Name string
	// Server is the API server URL, CACert its serving certificate (PEM),
	// Token the admin bearer token, Kubeconfig a file for the admin user.
	Server     string
	CACert     []byte
	Token      string
	Kubeconfig string
	Config     *rest.Config
	Client     *kube.Client

	ports clusterPorts
}

func (c *Cluster) writeKubeconfig(file string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["envtest"] = &clientcmdapi.Cluster{Server: c.Server, CertificateAuthorityData: c.CACert}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{Token: c.Token}
	cfg.Contexts["envtest"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: "admin"}
	cfg.CurrentContext = "envtest"
	c.Kubeconfig = file
	if err := clientcmd.WriteToFile(*cfg, file); err != nil {
		return err
	}
	rc, err := clientcmd.BuildConfigFromFlags("", file)
	if err != nil {
		return err
	}
	c.Config = rc
	c.Client, err = kube.New(rc)
	return err
}

// Workload returns the workload cluster of that name, starting it the first
// time: a second kube-apiserver on the environment's etcd (its own key
// prefix, so its own cluster), its controller manager and scheduler, and
// kwok with the environment's number of nodes. The hub's Argo CD reaches it
// at Server with Token, as it reaches a registered cluster.
func (e *Env) Workload(ctx context.Context, name string) (*Cluster, error) {
	e.workloadsMu.Lock()
	defer e.workloadsMu.Unlock()
	if c, ok := e.workloads[name]; ok {
		return c, nil
	}
	if name == "" {
		return nil, errors.New("a workload cluster needs a name")
	}
	ports, err := freePorts(4)
	if err != nil {
		return nil, err
	}
	begin := time.Now()
	ctx, cancel := context.WithTimeout(ctx, e.opts.Timeout)
	defer cancel()
	c, err := e.startCluster(ctx, clusterPorts{apiserver: ports[0], kcm: ports[1], scheduler: ports[2], kwok: ports[3]}, name, "/workloads/"+name)
	if err != nil {
		return nil, fmt.Errorf("workload cluster %s: %w", name, err)
	}
	if err := e.startKwok(ctx, c, "kwok-"+name); err != nil {
		return nil, fmt.Errorf("workload cluster %s: %w", name, err)
	}
	if err := e.waitTCP(ctx, "kwok-"+name, ports[3]); err != nil {
		return nil, err
	}
	if e.workloads == nil {
		e.workloads = map[string]*Cluster{}
	}
	e.workloads[name] = c
	e.logf("workload cluster %s ready in %v", name, time.Since(begin).Round(time.Millisecond))
	return c, nil
}
