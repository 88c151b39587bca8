# Builds one kube-ecs binary into an image with nothing else in it.
#   docker build --build-arg BINARY=manager -t kube-ecs-manager:<version> .
# BINARY is one of manager, agent, activator. The binaries are static (CGO_ENABLED=0), so the
# final stage is FROM scratch: no shell, no package manager, and a non-root user.
ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS build
ARG BINARY=manager
ARG VERSION=dev
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY api/ api/
COPY cmd/ cmd/
COPY controllers/ controllers/
COPY internal/ internal/
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/kube-ecs/kube-ecs/internal/version.Version=${VERSION}" \
      -o /out/kube-ecs ./cmd/${BINARY}

FROM scratch
COPY --from=build /out/kube-ecs /kube-ecs
USER 65532:65532
ENTRYPOINT ["/kube-ecs"]
