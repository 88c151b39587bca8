package activator

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/clock"
)

const (
	// leafLifetime is how long a service certificate is valid (as public CAs issue them).
	leafLifetime = 90 * 24 * time.Hour
	// leafRenewBefore: a cached certificate this close to its end is minted again.
	leafRenewBefore = 30 * 24 * time.Hour
	// clockSkew backdates certificates for clients whose clocks lag.
	clockSkew = 5 * time.Minute
)

// CA is the certificate authority that signs the service certificates.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// ParseCASecret reads the CA from the manager's Secret (type kubernetes.io/tls: tls.crt is
// the CA certificate, tls.key its PKCS#8 key).
func ParseCASecret(s *corev1.Secret) (*CA, error) {
	pair, err := tls.X509KeyPair(s.Data[corev1.TLSCertKey], s.Data[corev1.TLSPrivateKeyKey])
	if err != nil {
		return nil, fmt.Errorf("secret %s/%s: %w", s.Namespace, s.Name, err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("secret %s/%s: parsing tls.crt: %w", s.Namespace, s.Name, err)
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("secret %s/%s: tls.crt is not a CA certificate", s.Namespace, s.Name)
	}
	key, ok := pair.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("secret %s/%s: tls.key cannot sign", s.Namespace, s.Name)
	}
	return &CA{Cert: cert, Key: key}, nil
}

// Certificates mints, per service host, a certificate signed by the CA, and caches it.
type Certificates struct {
	// Known says whether a TLS server name is a service host.
	Known func(host string) bool
	Clock clock.PassiveClock

	mu    sync.Mutex
	ca    *CA
	cache map[string]*tls.Certificate
}

// SetCA replaces the CA (nil: none), dropping the certificates of the previous one; false
// when ca is the CA already in use.
func (c *Certificates) SetCA(ca *CA) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ca != nil && ca != nil && bytes.Equal(c.ca.Cert.Raw, ca.Cert.Raw) {
		return false
	}
	c.ca, c.cache = ca, nil
	return true
}

// GetCertificate is tls.Config.GetCertificate: a certificate for the server name when it is
// a service host and there is a CA, else an error, which fails the handshake.
func (c *Certificates) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	host := normalizeHost(hello.ServerName)
	if host == "" {
		return nil, errors.New("no server name (SNI): service hosts are served by name")
	}
	if !c.Known(host) {
		return nil, fmt.Errorf("%q is not a service host", host)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ca == nil {
		return nil, errors.New("no CA to sign service certificates with yet")
	}
	now := c.Clock.Now()
	if cert := c.cache[host]; cert != nil && now.Before(cert.Leaf.NotAfter.Add(-leafRenewBefore)) {
		return cert, nil
	}
	cert, err := mintLeaf(c.ca, host, now)
	if err != nil {
		return nil, err
	}
	if c.cache == nil {
		c.cache = map[string]*tls.Certificate{}
	}
	c.cache[host] = cert
	return cert, nil
}

// mintLeaf is a server certificate for host (ECDSA P-256, 90 days) signed by ca.
func mintLeaf(ca *CA, host string, now time.Time) (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating a key for %s: %w", host, err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: host},
		DNSNames:     []string{host},
		NotBefore:    now.Add(-clockSkew),
		NotAfter:     now.Add(leafLifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, fmt.Errorf("signing the certificate of %s: %w", host, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &tls.Certificate{Certificate: [][]byte{der, ca.Cert.Raw}, PrivateKey: key, Leaf: leaf}, nil
}
