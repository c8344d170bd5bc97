# syntax=docker/dockerfile:1
# The jamf_exporter image: a static binary, a CA bundle and a passwd line in an empty root.
# Build: docker build --build-arg REVISION=$(git rev-parse --short=12 HEAD) -t jamf_exporter .
# (docs/container.md). The root is assembled by packaging/image-root.sh, which
# `make image-test` runs and checks without a container daemon.

# The Rust image's Debian release gives the static glibc and the CA bundle.
FROM docker.io/library/rust:1.88-bookworm AS build
ARG REVISION=unknown
WORKDIR /src
COPY . .
RUN JAMF_EXPORTER_REVISION="$REVISION" STATIC_TARGET_DIR=/tmp/target \
    packaging/image-root.sh /rootfs

FROM scratch
# Keep VERSION equal to Cargo.toml's version (make image-test checks it).
ARG VERSION=0.1.0
ARG REVISION=unknown
COPY --from=build /rootfs/ /
LABEL org.opencontainers.image.title="jamf_exporter" \
      org.opencontainers.image.description="Prometheus exporter for Jamf Pro" \
      org.opencontainers.image.source="https://github.com/jamf-exporter/jamf_exporter" \
      org.opencontainers.image.url="https://github.com/jamf-exporter/jamf_exporter" \
      org.opencontainers.image.documentation="https://github.com/jamf-exporter/jamf_exporter/blob/main/README.md" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="$VERSION" \
      org.opencontainers.image.revision="$REVISION"
USER 65534:65534
EXPOSE 10052
ENTRYPOINT ["/jamf_exporter"]
