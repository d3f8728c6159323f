package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/kind"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

func kindImage(cfg *config.Config) string {
	if cfg.Kind.NodeImage != "" {
		return cfg.Kind.NodeImage
	}
	return kind.NodeImage
}

// writeKubeconfig writes a kubeconfig for the target cluster, mode 0600.
// For EKS it holds no token: kubectl runs `fleetup token` for a fresh one,
// so no aws CLI is needed either.
func writeKubeconfig(path string, cfg *config.Config, conn *Conn, profile string) error {
	rc := conn.Kube.Config
	name := cfg.ClusterName
	kc := clientcmdapi.NewConfig()
	kc.Clusters[name] = &clientcmdapi.Cluster{Server: rc.Host, CertificateAuthorityData: rc.CAData}
	user := &clientcmdapi.AuthInfo{}
	if conn.EKS != nil {
		self, err := os.Executable()
		if err != nil {
			return fmt.Errorf("write kubeconfig: %w", err)
		}
		args := []string{"token", "--cluster-name", name, "--region", cfg.Region}
		if profile != "" {
			args = append(args, "--profile", profile)
		}
		user.Exec = &clientcmdapi.ExecConfig{APIVersion: "client.authentication.k8s.io/v1beta1", Command: self, Args: args, InteractiveMode: clientcmdapi.NeverExecInteractiveMode}
		kc.Clusters[name].CertificateAuthorityData = conn.EKS.CA
		kc.Clusters[name].Server = conn.EKS.Endpoint
	} else {
		user.ClientCertificateData, user.ClientKeyData, user.Token = rc.CertData, rc.KeyData, rc.BearerToken
	}
	kc.AuthInfos[name] = user
	kc.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name}
	kc.CurrentContext = name
	data, err := clientcmd.Write(*kc)
	if err != nil {
		return fmt.Errorf("write kubeconfig: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write kubeconfig: %w", err)
	}
	// Create 0600 from the start; an existing file is tightened too.
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("write kubeconfig: %w", err)
	}
	return os.Chmod(path, 0o600)
}
