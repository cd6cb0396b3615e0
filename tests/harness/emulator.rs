//! Start an in-process emulator on `127.0.0.1:0`, call it over real HTTP, and replace generated
//! values by placeholders before comparing bodies with JSON literals.

pub use a0ctl::emulator::Config;
use a0ctl::emulator::{Handle, serve};
use reqwest::header::HeaderMap;
use reqwest::{Client, Method, redirect};
use serde_json::{Value, json};

/// The user agent every test request sends (it shows up in log entries).
pub const UA: &str = "emulator-tests";

/// A running emulator, an HTTP client, and a token of the global client.
pub struct Emu {
    pub handle: Handle,
    pub http: Client,
    pub base: String,
    pub token: String,
}

/// An answer, read to the end.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// An HTTP client that does not follow redirects and names itself [`UA`].
pub fn http_client() -> Client {
    Client::builder()
        .user_agent(UA)
        .redirect(redirect::Policy::none())
        .build()
        .expect("http client")
}

/// The default configuration, listening on a free port.
pub fn config() -> Config {
    Config {
        listen: "127.0.0.1:0".parse().expect("address"),
        ..Config::default()
    }
}

pub async fn read(response: reqwest::Response) -> Resp {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.text().await.expect("read body");
    Resp {
        status,
        headers,
        body,
    }
}

impl Emu {
    pub async fn start() -> Emu {
        Emu::with(config()).await
    }

    pub async fn with(config: Config) -> Emu {
        let handle = serve(config).await.expect("start the emulator");
        let http = http_client();
        let base = handle.base_url.clone();
        let mut emu = Emu {
            token: String::new(),
            http,
            base,
            handle,
        };
        let (id, secret) = (
            emu.handle.global_client_id.clone(),
            emu.handle.global_client_secret.clone(),
        );
        emu.token = emu.token_for(&id, &secret).await;
        emu
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A token for these client credentials (panics unless 200).
    pub async fn token_for(&self, id: &str, secret: &str) -> String {
        let r = self
            .send(
                Method::POST,
                "/oauth/token",
                None,
                Some(&json!({"client_id": id, "client_secret": secret, "grant_type": "client_credentials"})),
            )
            .await;
        assert_eq!(r.status, 200, "token: {}", r.body);
        r.json()["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Resp {
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        read(req.send().await.expect("send request")).await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(Method::GET, path, Some(&self.token), None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.send(Method::POST, path, Some(&self.token), Some(&body))
            .await
    }

    pub async fn put(&self, path: &str, body: Value) -> Resp {
        self.send(Method::PUT, path, Some(&self.token), Some(&body))
            .await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Resp {
        self.send(Method::PATCH, path, Some(&self.token), Some(&body))
            .await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.send(Method::DELETE, path, Some(&self.token), None)
            .await
    }

    /// GET that must answer 200; its JSON body.
    pub async fn get_ok(&self, path: &str) -> Value {
        let r = self.get(path).await;
        assert_eq!(r.status, 200, "GET {path}: {}", r.body);
        r.json()
    }

    /// POST that must answer 200; its JSON body.
    pub async fn post_ok(&self, path: &str, body: Value) -> Value {
        let r = self.post(path, body).await;
        assert_eq!(r.status, 200, "POST {path}: {}", r.body);
        r.json()
    }

    /// The placeholders of the global client's credentials, for [`scrub`].
    pub fn known(&self) -> Vec<(String, String)> {
        vec![
            (self.handle.global_client_id.clone(), "<global>".to_string()),
            (
                self.handle.global_client_secret.clone(),
                "<global_secret>".to_string(),
            ),
        ]
    }

    /// [`scrub`] with the global client's credentials and `extra` known values.
    pub fn scrub(&self, value: &Value, extra: &[(&str, &str)]) -> Value {
        let mut known = self.known();
        known.extend(
            extra
                .iter()
                .map(|(v, p)| ((*v).to_string(), (*p).to_string())),
        );
        scrub(value, &known)
    }

    /// Create a connection (global token); its JSON.
    pub async fn connection(&self, name: &str, strategy: &str) -> Value {
        self.post_ok(
            "/api/connections",
            json!({"name": name, "strategy": strategy, "options": {}, "status": true}),
        )
        .await
    }

    /// Create a client (global token); `(clientID, clientSecret)`.
    pub async fn client(&self, name: &str) -> (String, String) {
        let c = self.post_ok("/api/clients", json!({"name": name})).await;
        (
            c["clientID"].as_str().expect("clientID").to_string(),
            c["clientSecret"]
                .as_str()
                .expect("clientSecret")
                .to_string(),
        )
    }

    /// Seed a user of any connection through `/__emulator/users`; its `user_id`.
    pub async fn seed_user(&self, body: Value) -> String {
        let u = self.post_ok("/__emulator/users", body).await;
        u["user_id"].as_str().expect("user_id").to_string()
    }
}

/// Keys whose values the emulator generates.
const GENERATED: [&str; 12] = [
    "id",
    "_id",
    "clientID",
    "clientSecret",
    "user_id",
    "created_at",
    "updated_at",
    "last_login",
    "date",
    "access_token",
    "refresh_token",
    "ticket",
];

/// Replace every string equal to a `known` value by its placeholder, then the value of every
/// generated key (see [`GENERATED`]) by `<key>`; everything else is kept, so a comparison still
/// pins every key and every other value.
pub fn scrub(value: &Value, known: &[(String, String)]) -> Value {
    fn walk(v: &Value, key: Option<&str>, known: &[(String, String)]) -> Value {
        match v {
            Value::String(s) => {
                if let Some((_, p)) = known.iter().find(|(k, _)| k == s) {
                    Value::String(p.clone())
                } else if key.is_some_and(|k| GENERATED.contains(&k)) {
                    Value::String(format!("<{}>", key.unwrap_or_default()))
                } else {
                    v.clone()
                }
            }
            Value::Array(items) => {
                Value::Array(items.iter().map(|i| walk(i, None, known)).collect())
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), walk(v, Some(k), known)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    walk(value, None, known)
}

/// The v1 error body: exactly `{"error": code, "error_description": <non-empty>, "detail": <the
/// same message>}`, JSON, and the status.
pub fn assert_error(r: &Resp, status: u16, code: &str) {
    assert_eq!(r.status, status, "status of {}", r.body);
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("application/json")),
        "content type {:?} of {}",
        r.header("content-type"),
        r.body
    );
    let v = r.json();
    let map = v.as_object().expect("error body is an object");
    assert_eq!(map.len(), 3, "error body {v}");
    assert_eq!(v["detail"], v["error_description"], "error body {v}");
    assert_eq!(v["error"], code, "error body {v}");
    assert!(
        v["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "error body {v}"
    );
}

/// A 200 with the plain-text body `OK`.
pub fn assert_ok_text(r: &Resp) {
    assert_eq!((r.status, r.body.as_str()), (200, "OK"), "{r:?}");
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("text/plain")),
        "{r:?}"
    );
}

impl Emu {
    /// The audience of the emulator's Management API v2: `http://127.0.0.1:PORT/api/v2/`.
    pub fn v2_audience(&self) -> String {
        format!("{}/api/v2/", self.base)
    }

    /// The token answer for these credentials with the v2 audience (panics unless 200).
    pub async fn v2_token_answer(&self, id: &str, secret: &str) -> Value {
        let body = json!({"client_id": id, "client_secret": secret,
                          "grant_type": "client_credentials", "audience": self.v2_audience()});
        let r = self
            .send(Method::POST, "/oauth/token", None, Some(&body))
            .await;
        assert_eq!(r.status, 200, "v2 token: {}", r.body);
        r.json()
    }

    /// A v2 token for these credentials.
    pub async fn v2_token_for(&self, id: &str, secret: &str) -> String {
        self.v2_token_answer(id, secret).await["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    /// A v2 token of the global client (every scope).
    pub async fn v2_token(&self) -> String {
        let (id, secret) = (
            self.handle.global_client_id.clone(),
            self.handle.global_client_secret.clone(),
        );
        self.v2_token_for(&id, &secret).await
    }
}

/// The v2 error body: exactly `{"statusCode": status, "error": <reason>, "message": <non-empty>,
/// "errorCode": code}`, JSON, and the status.
pub fn assert_v2_error(r: &Resp, status: u16, code: &str) {
    assert_eq!(r.status, status, "status of {}", r.body);
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("application/json")),
        "content type {:?} of {}",
        r.header("content-type"),
        r.body
    );
    let v = r.json();
    let map = v.as_object().expect("error body is an object");
    assert_eq!(map.len(), 4, "error body {v}");
    assert_eq!(v["statusCode"], status, "error body {v}");
    assert_eq!(v["errorCode"], code, "error body {v}");
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or_default();
    assert_eq!(v["error"], reason, "error body {v}");
    assert!(
        v["message"].as_str().is_some_and(|d| !d.is_empty()),
        "error body {v}"
    );
}
