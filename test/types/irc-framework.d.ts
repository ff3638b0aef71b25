/** The part of irc-framework (no types of its own) the tests use. */
declare module 'irc-framework' {
  import { EventEmitter } from 'node:events';
  export class Client extends EventEmitter {
    constructor(options?: Record<string, unknown>);
    connect(options: Record<string, unknown>): void;
    join(channel: string): void;
    part(channel: string, message?: string): void;
    say(target: string, message: string): void;
    action(target: string, message: string): void;
    changeNick(nick: string): void;
    quit(message?: string): void;
    raw(line: string): void;
    user: { nick: string };
    connection: { end(): void } | undefined;
  }
}
