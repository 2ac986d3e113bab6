# Video-Seg Studio front end: the SvelteKit studio built to static files, served by an unprivileged
# nginx that proxies /api to the backend (docker/nginx.conf). Build from the repository root:
#   docker build -f docker/frontend.Dockerfile -t video-seg-studio-frontend .

# vite 7 needs Node ^20.19 or >=22.12.
ARG NODE_IMAGE=node:22.14.0-bookworm-slim
# Runs as uid 101 and listens on 8080: no root at any point.
ARG NGINX_IMAGE=nginxinc/nginx-unprivileged:1.28.0-alpine

# ---- build: npm install from the lock file, then vite build -------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY video_seg_frontend/package.json video_seg_frontend/package-lock.json ./
# `npm install` honours the lock; the lock lacks rollup's optional builds for other platforms
# (the registry mirror it was written against serves Linux only), which `npm ci` would refuse.
RUN npm install --no-audit --no-fund
COPY video_seg_frontend/ ./
RUN npm run build

# ---- runtime: static files + nginx, no node, no npm ------------------------------------------------
FROM ${NGINX_IMAGE} AS runtime
COPY docker/nginx.conf /etc/nginx/nginx.conf
COPY --from=build /app/build /usr/share/nginx/html
USER 101
EXPOSE 8080
CMD ["nginx", "-g", "daemon off;"]
