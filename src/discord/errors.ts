/** An expected problem with what the user asked: its message is shown to them, ephemerally, as is. */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UserError";
  }
}
