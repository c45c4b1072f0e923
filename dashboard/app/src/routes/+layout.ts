// A client-side app: the data comes from the API at run time, so nothing is rendered on a server.
export const ssr = false;
export const prerender = false;
export const trailingSlash = 'never';
