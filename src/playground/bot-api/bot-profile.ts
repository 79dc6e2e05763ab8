/**
 * Who the stand-in's bot is and what it says about itself: the bot user (from the token and the
 * options), what getMe reports, the command menus and the descriptions the bot set.
 */
import type { BotCommand, StandInOptions, User, UserFromGetMe } from './types.ts';

export class BotProfile {
  /** The bot as a message sender. */
  readonly user: User;
  /** What getMe returns. */
  readonly me: UserFromGetMe;
  /** In groups the bot hears only commands, mentions and replies to it (BotFather's default). */
  readonly privacyMode: boolean;
  /** Command menus by scope and language (see `commandsKey`). */
  readonly commands = new Map<string, BotCommand[]>();
  /** Descriptions by `<kind>:<language_code>`. */
  readonly descriptions = new Map<string, string>();

  constructor(options: StandInOptions) {
    this.privacyMode = options.privacyMode ?? true;
    // Real tokens start with the bot's id ("123456:ABC..."); use it when present.
    const idFromToken = Number(options.token.split(':')[0]);
    this.user = {
      id: Number.isSafeInteger(idFromToken) && idFromToken > 0 ? idFromToken : 7_000_000_001,
      is_bot: true,
      first_name: options.firstName ?? 'Dog Breeds (test)',
      username: options.username ?? 'dog_breeds_test_bot',
    };
    this.me = {
      ...this.user,
      is_bot: true,
      username: this.user.username ?? '',
      can_join_groups: true,
      can_read_all_group_messages: !this.privacyMode,
      supports_inline_queries: false,
      can_connect_to_business: false,
      has_main_web_app: false,
      has_topics_enabled: false,
      allows_users_to_create_topics: false,
      can_manage_bots: false,
      supports_join_request_queries: false,
    };
  }

  /** The command menu the bot set for everyone (default scope), optionally for one language. */
  commandMenu(languageCode = ''): BotCommand[] {
    return structuredClone(this.commands.get(`${JSON.stringify({ type: 'default' })}:${languageCode}`) ?? []);
  }
}
