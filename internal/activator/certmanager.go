package activator

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kube-ecs/kube-ecs/internal/apprunner"
)

// CertificateSource gives the certificate of a TLS handshake: Certificates (minted from the
// CA) or SecretCertificates (issued by cert-manager).
type CertificateSource interface {
	GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error)
}

// CASecretCache is NewCache's view of Secrets in CA mode: the CA Secret alone (a field
// selector on its name, which RBAC authorizes with resourceNames).
func CASecretCache(key types.NamespacedName) cache.ByObject {
	return cache.ByObject{
		Namespaces: map[string]cache.Config{key.Namespace: {}},
		Field:      fieldsName(key.Name),
	}
}

// CertificateSecretsCache is NewCache's view of Secrets in cert-manager mode: those of
// namespace labelled apprunner.CertificateLabel=true.
func CertificateSecretsCache(namespace string) cache.ByObject {
	return cache.ByObject{
		Namespaces: map[string]cache.Config{namespace: {}},
		Label:      labels.SelectorFromSet(labels.Set{apprunner.CertificateLabel: "true"}),
	}
}

// ParseTLSSecret reads the certificate chain and key of a kubernetes.io/tls Secret.
func ParseTLSSecret(s *corev1.Secret) (*tls.Certificate, error) {
	if s.Type != corev1.SecretTypeTLS {
		return nil, fmt.Errorf("secret %s/%s is of type %q, not %s", s.Namespace, s.Name, s.Type, corev1.SecretTypeTLS)
	}
	pair, err := tls.X509KeyPair(s.Data[corev1.TLSCertKey], s.Data[corev1.TLSPrivateKeyKey])
	if err != nil {
		return nil, fmt.Errorf("secret %s/%s: %w", s.Namespace, s.Name, err)
	}
	return &pair, nil // X509KeyPair sets Leaf
}

// SelectCertificate is the certificate among certs whose DNS names cover host and that is
// valid at now, the one that lasts longest when several do; nil when none does.
func SelectCertificate(certs []*tls.Certificate, host string, now time.Time) *tls.Certificate {
	var best *tls.Certificate
	for _, c := range certs {
		if c.Leaf == nil || now.Before(c.Leaf.NotBefore) || now.After(c.Leaf.NotAfter) || c.Leaf.VerifyHostname(host) != nil {
			continue
		}
		if best == nil || c.Leaf.NotAfter.After(best.Leaf.NotAfter) {
			best = c
		}
	}
	return best
}

// SecretCertificates serves, per service host, a certificate cert-manager issued into a
// labelled Secret (WatchCertificateSecrets keeps them).
type SecretCertificates struct {
	// Known says whether a TLS server name is a service host.
	Known func(host string) bool
	Clock clock.PassiveClock

	mu    sync.RWMutex
	certs map[types.NamespacedName]*tls.Certificate
}

// Set replaces the certificate of a Secret (nil: forget it).
func (c *SecretCertificates) Set(key types.NamespacedName, cert *tls.Certificate) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cert == nil {
		delete(c.certs, key)
		return
	}
	if c.certs == nil {
		c.certs = map[types.NamespacedName]*tls.Certificate{}
	}
	c.certs[key] = cert
}

// GetCertificate is tls.Config.GetCertificate: the certificate of the server name when it is
// a service host with one, else an error, which fails the handshake.
func (c *SecretCertificates) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	host := normalizeHost(hello.ServerName)
	if host == "" {
		return nil, errors.New("no server name (SNI): service hosts are served by name")
	}
	if !c.Known(host) {
		return nil, fmt.Errorf("%q is not a service host", host)
	}
	c.mu.RLock()
	all := make([]*tls.Certificate, 0, len(c.certs))
	for _, cert := range c.certs {
		all = append(all, cert)
	}
	c.mu.RUnlock()
	if cert := SelectCertificate(all, host, c.Clock.Now()); cert != nil {
		return cert, nil
	}
	return nil, fmt.Errorf("no certificate from cert-manager for %q yet", host)
}

// WatchCertificateSecrets keeps certs in step with the labelled Secrets of a cache made by
// NewCache with CertificateSecretsCache. A Secret that does not parse is left out (cert-manager
// writes it in steps).
func WatchCertificateSecrets(ctx context.Context, c cache.Cache, certs *SecretCertificates, log logr.Logger) error {
	inf, err := c.GetInformer(ctx, &corev1.Secret{})
	if err != nil {
		return fmt.Errorf("watching certificate secrets: %w", err)
	}
	set := func(o any) {
		s, ok := o.(*corev1.Secret)
		if !ok {
			return
		}
		key := client.ObjectKeyFromObject(s)
		cert, err := ParseTLSSecret(s)
		if err != nil {
			log.V(1).Info("Ignoring a certificate secret", "secret", key, "reason", err.Error())
			certs.Set(key, nil)
			return
		}
		certs.Set(key, cert)
		log.V(1).Info("Serving a certificate", "secret", key, "dnsNames", cert.Leaf.DNSNames, "notAfter", cert.Leaf.NotAfter)
	}
	_, err = inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    set,
		UpdateFunc: func(_, o any) { set(o) },
		DeleteFunc: func(o any) {
			if t, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
				o = t.Obj
			}
			if s, ok := o.(*corev1.Secret); ok {
				certs.Set(client.ObjectKeyFromObject(s), nil)
			}
		},
	})
	return err
}
