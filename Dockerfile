# odradek's container image: odradek-supervisor as PID 1 runs odradek-coord
# (2181) and odradek-broker (9092, web UI 8888), as a non-root user.
#
#   scripts/build-image                       # buildah, as CI does
#   docker build -t odradek .                 # with a Docker engine
#   docker run -p 9092:9092 -v odradek-data:/var/lib/odradek odradek
#
# Configuration: /etc/odradek/ holds the package's files (FHS paths); any
# broker key can be set as ODRADEK_BROKER_<KEY> and any coord key as
# ODRADEK_COORD_<KEY> (key upper-cased, '.' as '_').  The broker advertises
# PLAINTEXT://localhost:9092 by default, which is right for a client on the
# host of `docker run -p 9092:9092`; other setups set
# ODRADEK_BROKER_ADVERTISED_LISTENERS (e.g. PLAINTEXT://kafka.example:9092).
# Stop with a grace period longer than the broker's clean shutdown:
# `docker stop -t 60` / compose `stop_grace_period: 60s`.

# BASE: scripts/build-image imports a debootstrap'd bookworm (no registry
# here); with Docker Hub, debian:bookworm-slim.
ARG BASE=debian:bookworm-slim

FROM ${BASE} AS build
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        build-essential cmake pkg-config libuv1-dev libinih-dev libsystemd-dev \
        zlib1g-dev liblz4-dev libzstd-dev libsnappy-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Only what the build reads (no build directories, no .git).
COPY CMakeLists.txt ./
COPY lib lib
COPY daemon daemon
COPY supervisor supervisor
COPY cli cli
COPY ui ui
COPY config config
COPY packaging packaging
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF \
 && cmake --build /build -j"$(nproc)" \
        --target odradek-coord odradek-broker odradek-supervisor odradek \
 && strip /build/bin/* \
 && packaging/fhs-config config /out/etc/odradek

FROM ${BASE}
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        libuv1 libinih1 libsystemd0 zlib1g liblz4-1 libzstd1 libsnappy1v5 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 odradek \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/odradek \
        --no-create-home --shell /usr/sbin/nologin odradek \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/odradek /var/lib/odradek/coord \
        /var/lib/odradek/kafka-logs /var/log/odradek /run/odradek
COPY --from=build /build/bin/odradek-coord /build/bin/odradek-broker /build/bin/odradek-supervisor /usr/sbin/
COPY --from=build /build/bin/odradek /usr/bin/
COPY --from=build /out/etc/odradek/ /etc/odradek/
# The broker listens on every interface of the container (listeners'
# default) and advertises the host's view of `-p 9092:9092`; the UI listens
# beyond loopback so that `-p 8888:8888` reaches it.
ENV ODRADEK_BROKER_ADVERTISED_LISTENERS=PLAINTEXT://localhost:9092 \
    ODRADEK_BROKER_HTTP_LISTENERS=0.0.0.0:8888
USER 10001:10001
WORKDIR /var/lib/odradek
EXPOSE 2181 9092 8888
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD ["/usr/bin/odradek", "ctl", "status"]
ENTRYPOINT ["/usr/sbin/odradek-supervisor", "-c", "/etc/odradek/odradek.conf", "--log-stdout"]
# Last: changes to a VOLUME path in later steps would be discarded.
VOLUME ["/var/lib/odradek"]
