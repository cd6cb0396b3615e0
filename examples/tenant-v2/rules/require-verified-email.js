function (user, context, callback) {
  if (context.clientName === 'Admin Console' && !user.email_verified) {
    return callback(new UnauthorizedError('Please verify your email before using the console.'));
  }
  callback(null, user, context);
}
