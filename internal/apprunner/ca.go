package apprunner

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	cryptorand "crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// CA certificate settings of the App Runner CA, the issuer of the activator's per-host
// certificates.
const (
	CACommonName = "kube-ecs App Runner CA"
	CAValidity   = 10 * 365 * 24 * time.Hour
)

// NewCA creates a self-signed CA (ECDSA P-256, 10 years from now, CA:true, certificate and
// CRL signing): its certificate and PKCS#8 private key in PEM. random supplies the key and
// serial number.
func NewCA(random io.Reader, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), random)
	if err != nil {
		return nil, nil, fmt.Errorf("generating the CA key: %w", err)
	}
	serial, err := randSerial(random)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: CACommonName, Organization: []string{"kube-ecs"}},
		NotBefore:             now.Add(-time.Hour), // tolerate clocks a little behind
		NotAfter:              now.Add(CAValidity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(random, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("signing the CA certificate: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding the CA key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), nil
}

func randSerial(random io.Reader) (*big.Int, error) {
	n, err := cryptorand.Int(random, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("drawing the CA serial number: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil // never 0
}

// CASecretData is the data of the CA Secret (type kubernetes.io/tls): tls.crt and ca.crt hold
// the CA certificate, tls.key its key.
func CASecretData(certPEM, keyPEM []byte) map[string][]byte {
	return map[string][]byte{
		corev1.TLSCertKey:              certPEM,
		corev1.ServiceAccountRootCAKey: certPEM,
		corev1.TLSPrivateKeyKey:        keyPEM,
	}
}
