function ok(user, context, callback) { callback(null, user, context); }
