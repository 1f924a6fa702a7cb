// The public API through the gateway, same origin. Errors arrive as problem details and are thrown as ApiError
// (status 0 when the server cannot be reached). A 401 renews the token once and retries; if that fails the page
// asks the user to sign in again (Auth's 'expired' event).

export class ApiError extends Error {
  constructor(status, problem = {}, retryAfter = null) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.status = status;
    this.title = problem.title;
    this.detail = problem.detail;
    this.errors = problem.errors;
    this.problem = problem;
    this.retryAfter = retryAfter;
  }
}

export class Api {
  #auth;

  constructor(auth) {
    this.#auth = auth;
  }

  get(path) { return this.request('GET', path); }
  post(path, body) { return this.request('POST', path, body); }
  put(path, body) { return this.request('PUT', path, body); }
  delete(path) { return this.request('DELETE', path); }

  async request(method, path, body, retried = false) {
    let response;
    try {
      response = await fetch(path, {
        method,
        headers: {
          authorization: `Bearer ${this.#auth.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new ApiError(0, { detail: error.message });
    }
    if (response.status === 401 && !retried) {
      if (await this.#auth.renew()) return this.request(method, path, body, true);
    }
    if (response.status === 401) {
      this.#auth.expire();
    }
    if (!response.ok) {
      const problem = await response.json().catch(() => ({}));
      throw new ApiError(response.status, problem, response.headers.get('retry-after'));
    }
    return response.status === 204 || response.headers.get('content-length') === '0' ? null : response.json();
  }
}
