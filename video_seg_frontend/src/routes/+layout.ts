// Static SPA: everything renders in the browser, the backend answers /api/v1.
export const ssr = false;
export const prerender = false;
export const trailingSlash = 'never';
