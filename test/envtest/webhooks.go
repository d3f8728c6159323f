package envtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// writeServingCert writes a self-signed serving certificate for 127.0.0.1
// into dir as tls.crt and tls.key (the names controller-runtime's webhook
// server reads) and returns the certificate (PEM). It is its own CA: the
// API server trusts it through the caBundle of the webhook configurations
// and CRDs, as cert-manager's injector would set it in a real cluster.
func writeServingCert(dir string) ([]byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "fleetup-envtest-webhooks"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("webhook serving certificate: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	crt := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(filepath.Join(dir, "tls.crt"), crt, 0o644); err != nil {
		return nil, err
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	if err := os.WriteFile(filepath.Join(dir, "tls.key"), keyPEM, 0o600); err != nil {
		return nil, err
	}
	return crt, nil
}

// webhookURL is a webhook server's endpoint on 127.0.0.1.
func webhookURL(port int, path string) string {
	return "https://127.0.0.1:" + strconv.Itoa(port) + path
}

// withConversionWebhook points a CRD that serves several versions at the
// conversion endpoint (/convert) of the webhook server on port: Cluster
// API stores v1beta2 and converts older versions there. A CRD with one
// version needs no conversion and is left as shipped.
func withConversionWebhook(crd *unstructured.Unstructured, port int, ca []byte) error {
	versions, _, err := unstructured.NestedSlice(crd.Object, "spec", "versions")
	if err != nil {
		return fmt.Errorf("CRD %s: %w", crd.GetName(), err)
	}
	if len(versions) < 2 {
		unstructured.RemoveNestedField(crd.Object, "spec", "conversion")
		return nil
	}
	return unstructured.SetNestedField(crd.Object, map[string]any{
		"strategy": "Webhook",
		"webhook": map[string]any{
			"conversionReviewVersions": []any{"v1"},
			"clientConfig": map[string]any{
				"url":      webhookURL(port, "/convert"),
				"caBundle": base64.StdEncoding.EncodeToString(ca),
			},
		},
	}, "spec", "conversion")
}
