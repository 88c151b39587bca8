package apprunner

import (
	"crypto/sha1" //nolint:gosec // a name-based (version 5) UUID, not a security use
	"fmt"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	apprunnerv1alpha1 "github.com/kube-ecs/kube-ecs/api/apprunner/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/arn"
)

// Observed is what the controller found and wrote in one reconcile: the input of SetStatus.
type Observed struct {
	Scope  arn.Scope
	Domain string
	Now    metav1.Time
	// Previous is the Deployment as it was before this reconcile wrote it (nil: none).
	Previous *appsv1.Deployment
	// Deployment is the Deployment as the API server answered this reconcile's write (nil:
	// none, as for a code repository).
	Deployment *appsv1.Deployment
	// ServiceExists: the service's Kubernetes Service exists.
	ServiceExists bool
	// ImageDigest is the digest ("sha256:...") a running instance of the current template
	// pulled; empty when none runs.
	ImageDigest string
	// Problems are what of the spec could not be carried out (MakeDeployment's).
	Problems []string
	// Image is what auto-deploy found of the image: the digest the Deployment is pinned to.
	Image ImageResolution
}

// ServiceID is the service's serviceId: its UID without dashes (32 hex characters), stable
// for the object's life.
func ServiceID(svc *apprunnerv1alpha1.AppRunnerService) string {
	return strings.ReplaceAll(string(svc.UID), "-", "")
}

// NextOperation is the operation the service's current spec starts ("" for none):
// CREATE_SERVICE before any operation, PAUSE_SERVICE or RESUME_SERVICE when paused differs
// from what the Deployment was written for, UPDATE_SERVICE for any other spec change (a
// generation not yet observed), START_DEPLOYMENT for a new StartDeploymentAnnotation or a
// new image digest that auto-deploy pinned (App Runner reports automatic deployments as
// START_DEPLOYMENT). None when the current operation was started for this very generation,
// token and digest.
func NextOperation(svc *apprunnerv1alpha1.AppRunnerService, previous *appsv1.Deployment, digest string) apprunnerv1alpha1.OperationType {
	cur := svc.Status.CurrentOperation
	switch {
	case cur == nil:
		return apprunnerv1alpha1.OperationCreateService
	case cur.ID == OperationID(svc, cur.Type, digest):
		return ""
	case previous != nil && previous.Annotations[PausedAnnotation] != "" &&
		previous.Annotations[PausedAnnotation] != strconv.FormatBool(svc.Spec.Paused):
		if svc.Spec.Paused {
			return apprunnerv1alpha1.OperationPauseService
		}
		return apprunnerv1alpha1.OperationResumeService
	case svc.Generation != svc.Status.ObservedGeneration:
		return apprunnerv1alpha1.OperationUpdateService
	case previous != nil && previous.Spec.Template.Annotations[RestartedAtAnnotation] != StartDeploymentToken(svc):
		return apprunnerv1alpha1.OperationStartDeployment
	case previous != nil && previous.Spec.Template.Annotations[ImageDigestAnnotation] != digest:
		return apprunnerv1alpha1.OperationStartDeployment
	}
	return ""
}

// OperationID is the id of the operation of type typ that the service's current spec,
// start-deployment token and pinned image digest ("" for none) start: a version 5 UUID of
// the service's UID, the type, the generation, the token and the digest. It is the same for
// the same change, so a reconcile that runs again on a stale cache finds the operation
// already current instead of starting another.
func OperationID(svc *apprunnerv1alpha1.AppRunnerService, typ apprunnerv1alpha1.OperationType, digest string) string {
	h := sha1.New() //nolint:gosec // see the import
	fmt.Fprintf(h, "%s\x00%s\x00%d\x00%s", svc.UID, typ, svc.Generation, StartDeploymentToken(svc))
	if digest != "" {
		// Only then: the ids of services without a pinned digest stay what they were.
		fmt.Fprintf(h, "\x00%s", digest)
	}
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = (u[6] & 0x0f) | 0x50 // version 5
	u[8] = (u[8] & 0x3f) | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// rollout is what the Deployment says of the operation's progress.
type rollout int

const (
	rolloutInProgress rollout = iota
	rolloutDone
	rolloutFailed
)

// rolloutOf judges a Deployment's rollout for an operation. The Deployment's status counts
// only once its controller observed its generation.
func rolloutOf(svc *apprunnerv1alpha1.AppRunnerService, typ apprunnerv1alpha1.OperationType, d *appsv1.Deployment) rollout {
	if d == nil || d.Status.ObservedGeneration < d.Generation {
		return rolloutInProgress
	}
	if c := deploymentCondition(d, appsv1.DeploymentProgressing); c != nil &&
		c.Status == corev1.ConditionFalse && c.Reason == ProgressDeadlineExceededReason {
		return rolloutFailed
	}
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	st := d.Status
	if st.UpdatedReplicas != want || st.Replicas != want || st.AvailableReplicas != want {
		return rolloutInProgress
	}
	switch typ {
	case apprunnerv1alpha1.OperationPauseService:
		if want != 0 {
			return rolloutInProgress // the autoscaler has not scaled it to zero yet
		}
	case apprunnerv1alpha1.OperationResumeService, apprunnerv1alpha1.OperationCreateService:
		if want == 0 && MinSizeOf(svc) > 0 && !svc.Spec.Paused {
			return rolloutInProgress // the autoscaler has not scaled it up yet
		}
	}
	return rolloutDone
}

// ProgressDeadlineExceededReason is the reason of a Deployment's Progressing condition when
// a rollout took longer than progressDeadlineSeconds.
const ProgressDeadlineExceededReason = "ProgressDeadlineExceeded"

func deploymentCondition(d *appsv1.Deployment, t appsv1.DeploymentConditionType) *appsv1.DeploymentCondition {
	for i := range d.Status.Conditions {
		if d.Status.Conditions[i].Type == t {
			return &d.Status.Conditions[i]
		}
	}
	return nil
}

// SetStatus computes the service's status from what the controller observed: identity and
// URL, the current operation (started, then SUCCEEDED or FAILED as the Deployment rolls
// out), the App Runner status, instance counts and conditions. It leaves observedGeneration
// to the controller.
func SetStatus(svc *apprunnerv1alpha1.AppRunnerService, o Observed) {
	st := &svc.Status
	st.ServiceID = ServiceID(svc)
	st.ServiceArn = o.Scope.AppRunnerService(svc.Name, st.ServiceID)
	st.ServiceURL = ServiceURL(svc.Name, svc.Namespace, o.Domain)
	if st.CreatedAt == nil {
		created := svc.CreationTimestamp
		st.CreatedAt = &created
	}
	code := IsCodeRepository(svc)

	if typ := NextOperation(svc, o.Previous, o.Image.Digest); typ != "" {
		if id := OperationID(svc, typ, o.Image.Digest); st.CurrentOperation == nil || st.CurrentOperation.ID != id {
			now := o.Now
			st.CurrentOperation = &apprunnerv1alpha1.Operation{
				ID: id, Type: typ, Status: apprunnerv1alpha1.OperationInProgress, StartedAt: &now,
			}
			st.UpdatedAt = &now
		}
	}
	op := st.CurrentOperation
	if op.Status == apprunnerv1alpha1.OperationInProgress {
		r := rolloutOf(svc, op.Type, o.Deployment)
		if code {
			r = rolloutFailed // nothing to run: kube-ecs builds no code
		}
		if r != rolloutInProgress {
			now := o.Now
			op.EndedAt = &now
			op.Status = apprunnerv1alpha1.OperationSucceeded
			if r == rolloutFailed {
				op.Status = apprunnerv1alpha1.OperationFailed
			}
		}
	}

	d := o.Deployment
	st.ActiveInstances, st.ProvisionedInstances = 0, 0
	scaledToZero := false
	if d != nil {
		st.ActiveInstances, st.ProvisionedInstances = d.Status.ReadyReplicas, d.Status.Replicas
		scaledToZero = d.Spec.Replicas != nil && *d.Spec.Replicas == 0 && d.Status.Replicas == 0
	}
	switch {
	case o.Image.Digest != "":
		st.ImageDigest = o.Image.Digest // every instance runs the pinned version
	case o.ImageDigest != "":
		st.ImageDigest = o.ImageDigest
	}

	switch {
	case code:
		st.Status = apprunnerv1alpha1.StatusCreateFailed
	case op.Status == apprunnerv1alpha1.OperationInProgress:
		st.Status = apprunnerv1alpha1.StatusOperationInProgress
	case op.Type == apprunnerv1alpha1.OperationCreateService && op.Status == apprunnerv1alpha1.OperationFailed:
		// App Runner keeps a service whose creation failed unusable until UpdateService.
		st.Status = apprunnerv1alpha1.StatusCreateFailed
	case svc.Spec.Paused && scaledToZero:
		st.Status = apprunnerv1alpha1.StatusPaused
	default:
		// A later failed deployment leaves the previous version serving: maxUnavailable 0
		// kept its instances.
		st.Status = apprunnerv1alpha1.StatusRunning
	}
	setConditions(svc, o, scaledToZero)
	setImageCondition(svc, o.Image)
}

func setConditions(svc *apprunnerv1alpha1.AppRunnerService, o Observed, scaledToZero bool) {
	st := &svc.Status
	set := func(t string, ok bool, reason, msg string) {
		status := metav1.ConditionFalse
		if ok {
			status = metav1.ConditionTrue
		}
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{
			Type: t, Status: status, Reason: reason, Message: msg, ObservedGeneration: svc.Generation,
		})
	}
	if IsCodeRepository(svc) {
		msg := "kube-ecs runs images only: it does not build source code. Build an image from the repository and use sourceConfiguration.imageRepository"
		for _, t := range []string{apprunnerv1alpha1.ReadyCondition, apprunnerv1alpha1.DeploymentAvailableCondition, apprunnerv1alpha1.EndpointReadyCondition} {
			set(t, false, apprunnerv1alpha1.CodeRepositoryUnsupportedReason, msg)
		}
		return
	}

	d := o.Deployment
	ready := d != nil && d.Status.ReadyReplicas > 0
	switch {
	case ready:
		set(apprunnerv1alpha1.DeploymentAvailableCondition, true, apprunnerv1alpha1.InstancesReadyReason,
			fmt.Sprintf("%d of %d instances are ready", d.Status.ReadyReplicas, d.Status.Replicas))
	case svc.Spec.Paused:
		set(apprunnerv1alpha1.DeploymentAvailableCondition, false, apprunnerv1alpha1.PausedReason,
			"the service is paused: it runs no instance")
	case scaledToZero && MinSizeOf(svc) == 0:
		set(apprunnerv1alpha1.DeploymentAvailableCondition, true, apprunnerv1alpha1.ScaledToZeroReason,
			"no instance runs; the next request starts one")
	default:
		set(apprunnerv1alpha1.DeploymentAvailableCondition, false, apprunnerv1alpha1.NoReadyInstancesReason,
			"no instance of the service is ready")
	}

	if o.ServiceExists {
		set(apprunnerv1alpha1.EndpointReadyCondition, true, apprunnerv1alpha1.ReconciledReason,
			"requests to "+st.ServiceURL+" route to the service's ready instances")
	} else {
		set(apprunnerv1alpha1.EndpointReadyCondition, false, apprunnerv1alpha1.EndpointPendingReason,
			"the service's Kubernetes Service does not exist yet")
	}

	op := st.CurrentOperation
	var ok bool
	var reason, msg string
	switch st.Status {
	case apprunnerv1alpha1.StatusRunning:
		ok, reason, msg = o.ServiceExists, apprunnerv1alpha1.ReconciledReason, "the service is RUNNING at "+st.ServiceURL
		if !o.ServiceExists {
			reason, msg = apprunnerv1alpha1.EndpointPendingReason, "the service's Kubernetes Service does not exist yet"
		}
		if op.Status == apprunnerv1alpha1.OperationFailed {
			msg += fmt.Sprintf("; operation %s %s FAILED: the deployment did not become healthy within %ds, the previous version keeps serving",
				op.Type, op.ID, ProgressDeadlineSeconds)
		}
	case apprunnerv1alpha1.StatusPaused:
		reason, msg = apprunnerv1alpha1.PausedReason, "the service is PAUSED: set spec.paused to false to resume it"
	case apprunnerv1alpha1.StatusCreateFailed:
		reason = apprunnerv1alpha1.DeploymentFailedReason
		msg = fmt.Sprintf("operation %s %s FAILED: the instances did not become healthy within %ds; fix the spec to deploy again",
			op.Type, op.ID, ProgressDeadlineSeconds)
	default:
		reason, msg = apprunnerv1alpha1.OperationInProgressReason, fmt.Sprintf("operation %s %s is IN_PROGRESS", op.Type, op.ID)
	}
	if len(o.Problems) > 0 {
		msg += "; " + strings.Join(o.Problems, "; ")
	}
	set(apprunnerv1alpha1.ReadyCondition, ok, reason, msg)
}

// ImageDigest is the digest of a container status's imageID ("sha256:..."), or "".
func ImageDigest(imageID string) string {
	if i := strings.LastIndex(imageID, "@"); i >= 0 {
		imageID = imageID[i+1:]
	}
	if strings.HasPrefix(imageID, "sha256:") {
		return imageID
	}
	return ""
}
