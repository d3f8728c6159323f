package cli

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/fleetup/fleetup/internal/aws"
)

// Token is `fleetup token`: an EKS bearer token as a client-go exec
// credential, for kubeconfigs written with --write-kubeconfig.
type Token struct {
	Global      *Global
	ClusterName string
	Region      string
}

// Run prints the ExecCredential.
func (t *Token) Run(ctx context.Context) error {
	if t.ClusterName == "" || t.Region == "" {
		return Usage(errors.New("--cluster-name and --region are required"))
	}
	a, err := aws.New(ctx, aws.Options{Region: t.Region, Profile: t.Global.Profile})
	if err != nil {
		return err
	}
	tok, err := a.Token(ctx, t.ClusterName)
	if err != nil {
		return err
	}
	// Expire a minute early so kubectl asks again in time.
	return json.NewEncoder(t.Global.Stdout).Encode(map[string]any{
		"kind":       "ExecCredential",
		"apiVersion": "client.authentication.k8s.io/v1beta1",
		"spec":       map[string]any{},
		"status": map[string]any{
			"token":               tok.Value,
			"expirationTimestamp": tok.Expires.Add(-time.Minute).UTC().Format(time.RFC3339),
		},
	})
}
