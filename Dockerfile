# Streamwarden image: every role (connectors, pipeline, api, or all in one) from one build.
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
RUN node --import tsx scripts/build-dashboard.ts --force && mkdir -p /data && chown node:node /data
USER node
ENV STREAMWARDEN_DATA_DIR=/data PORT=3000 HOST=0.0.0.0
EXPOSE 3000
VOLUME ["/data"]
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=4 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "--max-semi-space-size=16", "--import", "tsx", "runtime/main.ts"]
